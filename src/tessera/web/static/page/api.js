// The SharinPix API as the page speaks it: the token lives only here, in memory; each answer's
// X-token replaces it, and a timer refreshes it before it expires.

const REFRESH_MARGIN_MS = 5 * 60 * 1000;
const MIN_REFRESH_MS = 10 * 1000;

export class ApiError extends Error {
  constructor(status, message, code = '') {
    super(message);
    this.status = status;
    this.code = code;
  }

  // A route this server does not have (yet): Starlette's own 404, or 405 on a known path.
  get missingRoute() {
    return (this.status === 404 && this.code === 'http_error') || this.status === 405;
  }

  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  static async from(response) {
    let message = `${response.status} ${response.statusText}`.trim();
    let code = '';
    try {
      const body = await response.json();
      if (body && body.error) {
        message = body.error.message || message;
        code = body.error.code || '';
      }
    } catch (_) { /* not JSON: keep the status line */ }
    return new ApiError(response.status, message, code);
  }
}

export const OFFLINE = 'The network is unreachable: check the connection and try again.';

// Claims of a JWT, without verifying it (the server does); {} when unreadable.
export function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch (_) {
    return {};
  }
}

function appendQuery(url, query) {
  for (const [key, value] of Object.entries(query || {})) {
    if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(`${key}[]`, v));
    else if (value !== undefined && value !== null) url.searchParams.append(key, value);
  }
}

export class Api {
  #token;
  #timer = null;

  constructor(token, { refresh } = {}) {
    this.#token = token;
    this.refresh = refresh || null;
    this.#schedule();
  }

  get hasToken() {
    return Boolean(this.#token);
  }

  async request(method, path, { query, json } = {}) {
    const url = new URL(path, window.location.origin);
    appendQuery(url, query);
    const headers = { Accept: 'application/json' };
    if (this.#token) headers.Authorization = `Token token="${this.#token}"`;
    const init = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (_) {
      throw new ApiError(0, OFFLINE);
    }
    this.#swap(response.headers.get('X-token'));
    if (!response.ok) throw await ApiError.from(response);
    const data = response.status === 204 ? null : await response.json();
    return { data, headers: response.headers };
  }

  get(path, query) { return this.request('GET', path, { query }); }
  post(path, json) { return this.request('POST', path, { json }); }
  put(path, json) { return this.request('PUT', path, { json }); }
  delete(path, json) { return this.request('DELETE', path, { json }); }

  // POST a file to the album's signed upload form (Cloudinary protocol), reporting progress.
  // The form is signed: no token travels with it.
  upload(form, file, { onProgress, signal } = {}) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const data = new FormData();
      for (const [key, value] of Object.entries(form.params)) data.append(key, String(value));
      data.append('file', file, file.name);
      xhr.open('POST', form.url);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        const body = xhr.response;
        if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body);
        else {
          const message = (body && body.error && body.error.message) || `${xhr.status} ${xhr.statusText}`;
          reject(new ApiError(xhr.status, message, (body && body.error && body.error.code) || ''));
        }
      };
      xhr.onerror = () => reject(new ApiError(0, OFFLINE));
      xhr.onabort = () => reject(new ApiError(0, 'Cancelled', 'aborted'));
      if (signal) signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(data);
    });
  }

  #swap(token) {
    if (token && token !== this.#token) {
      this.#token = token;
      this.#schedule();
    }
  }

  // Refresh a few minutes before `exp` (half-way for short-lived tokens).
  #schedule() {
    clearTimeout(this.#timer);
    const exp = Number(claimsOf(this.#token || '').exp);
    if (!exp || !this.refresh) return;
    const left = exp * 1000 - Date.now();
    const wait = left > 2 * REFRESH_MARGIN_MS ? left - REFRESH_MARGIN_MS : left / 2;
    this.#timer = setTimeout(() => {
      this.refresh().catch(() => this.#retryLater());
    }, Math.max(wait, MIN_REFRESH_MS));
  }

  #retryLater() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.refresh().catch(() => this.#retryLater()), 30 * 1000);
  }
}
