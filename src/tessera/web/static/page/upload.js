// Uploads: drop, file picker or camera → the album's signed upload form (the file as it is,
// EXIF orientation and GPS included) → registered in the album. A few files at a time, each
// with its progress bar; network failures are retried with back-off once the browser is back
// online, an expired form is fetched again, and a refusal shows the server's message.

import { ApiError } from './api.js';
import { el } from './dom.js';

const PARALLEL = 3;
const RETRIES = 4;
// The form's signature is valid for an hour on the server; take a fresh one well before.
const FORM_MAX_AGE_MS = 45 * 60 * 1000;

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function online() {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener('online', resolve, { once: true }));
}

export class Uploader {
  constructor({ api, albumId, form, list, gallery, onQueued, onUploaded }) {
    this.api = api;
    this.albumId = albumId;
    this.form = form;
    this.formAt = Date.now();
    this.list = list;
    this.gallery = gallery;
    this.onQueued = onQueued || (() => {});
    this.onUploaded = onUploaded;
    this.queue = [];
    this.running = 0;
  }

  setForm(form) {
    if (form) { this.form = form; this.formAt = Date.now(); }
  }

  add(files) {
    const images = [...files].filter((f) => !f.type || f.type.startsWith('image/'));
    for (const file of files) {
      if (!images.includes(file)) this.#row(file).fail(`${file.name} is not an image.`);
    }
    for (const file of images) {
      this.queue.push({ file, row: this.#row(file), placeholder: this.gallery.reserve(file.name) });
    }
    if (images.length) this.onQueued(images.length);
    this.#pump();
  }

  #pump() {
    while (this.running < PARALLEL && this.queue.length) {
      const job = this.queue.shift();
      this.running += 1;
      this.#run(job).finally(() => { this.running -= 1; this.#pump(); });
    }
  }

  async #run({ file, row, placeholder }) {
    try {
      const result = await this.#withRetries(row, () => this.#send(file, row));
      row.state('Adding to the album…');
      const { data } = await this.#withRetries(row, () => this.api.post(
        `/api/v1/albums/${encodeURIComponent(this.albumId)}/images`, { cloudinary: result }));
      this.gallery.fill(placeholder, data);
      row.done();
      this.onUploaded(data);
    } catch (error) {
      placeholder.remove();
      row.fail(`${file.name}: ${error.message}`);
    }
  }

  async #send(file, row) {
    if (Date.now() - this.formAt > FORM_MAX_AGE_MS) await this.#refreshForm();
    try {
      return await this.api.upload(this.form, file, { onProgress: (f) => row.progress(f) });
    } catch (error) {
      // A stale timestamp or signature: sign a new form once, then try again.
      if (error.status === 401 && !row.resigned) {
        row.resigned = true;
        await this.#refreshForm();
        return this.api.upload(this.form, file, { onProgress: (f) => row.progress(f) });
      }
      throw error;
    }
  }

  async #refreshForm() {
    const { data } = await this.api.get(`/api/v1/albums/${encodeURIComponent(this.albumId)}`);
    this.setForm(data.upload_form);
  }

  async #withRetries(row, attempt) {
    for (let i = 0; ; i += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ApiError) || !error.retryable || i >= RETRIES) throw error;
        row.state(`Connection problem, retrying (${i + 1} of ${RETRIES})…`);
        await online();
        await sleep(1000 * 2 ** i);
      }
    }
  }

  #row(file) {
    const bar = el('progress', { max: 100, value: 0, 'aria-label': `Upload of ${file.name}` });
    const text = el('span', { class: 'upload-state' }, 'Waiting…');
    const item = el('li', { class: 'upload' }, el('span', { class: 'upload-name' }, file.name), bar, text);
    this.list.append(item);
    return {
      progress(fraction) {
        bar.value = Math.round(fraction * 100);
        text.textContent = `${bar.value}%`;
      },
      state(message) { text.textContent = message; },
      done() {
        bar.value = 100;
        item.classList.add('done');
        text.textContent = 'Uploaded';
        setTimeout(() => item.remove(), 4000);
      },
      fail(message) {
        item.classList.add('failed');
        bar.remove();
        text.textContent = message;
        text.setAttribute('role', 'alert');
        item.append(el('button', {
          type: 'button', class: 'button icon', 'aria-label': `Dismiss ${file.name}`, onclick: () => item.remove(),
        }, el('span', { 'aria-hidden': 'true' }, '✕')));
      },
    };
  }
}

// Drop zone, picker and camera inputs all feed the uploader.
export function bindInputs(uploader, { dropzone, pick, camera, fileInput, cameraInput }) {
  pick.addEventListener('click', () => fileInput.click());
  camera.addEventListener('click', () => cameraInput.click());
  for (const input of [fileInput, cameraInput]) {
    input.addEventListener('change', () => { uploader.add(input.files); input.value = ''; });
  }
  const over = (event) => {
    if (![...(event.dataTransfer?.types || [])].includes('Files')) return;
    event.preventDefault();
    dropzone.classList.add('over');
  };
  dropzone.addEventListener('dragenter', over);
  dropzone.addEventListener('dragover', over);
  dropzone.addEventListener('dragleave', () => dropzone.classList.remove('over'));
  dropzone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropzone.classList.remove('over');
    if (event.dataTransfer?.files?.length) uploader.add(event.dataTransfer.files);
  });
  // A drop anywhere else on the page must not navigate away to the file.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}
