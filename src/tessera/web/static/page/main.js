// The album page. The token is read from the address bar once and removed from it at once
// (history.replaceState): from then on it lives in the Api object only, travels as an
// Authorization header, and is replaced by each answer's X-token.

import { Api } from './api.js';
import { $, el, formatDate, keepToasts, nameOf, setStatus, toast } from './dom.js';
import { Gallery, watchEnd } from './gallery.js';
import { bindInputs, Uploader } from './upload.js';
import { Viewer } from './viewer.js';

const albumId = $('#app').dataset.albumId;
const albumPath = `/api/v1/albums/${encodeURIComponent(albumId)}`;
const status = $('#status');

function takeToken() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token !== null) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  return token;
}

// `X-access-upload: true` → 'upload'.
function abilitiesOf(headers) {
  const granted = new Set();
  headers.forEach((value, name) => {
    const match = /^x-access-(.+)$/i.exec(name);
    if (match && value === 'true') granted.add(match[1].toLowerCase());
  });
  return granted;
}

class Page {
  constructor(api) {
    this.api = api;
    this.abilities = new Set();
    this.total = 0;
    this.names = new Map();
    this.gallery = new Gallery($('#gallery'), {
      onOpen: (id) => this.viewer.open(id),
      onSelectionChange: (selected) => this.#selection(selected),
    });
    this.viewer = new Viewer({
      api, gallery: this.gallery, albumId, can: (name) => this.can(name), onDelete: (image) => this.delete(image),
      onAdded: (n) => this.#added(n),
    });
  }

  can(name) { return this.abilities.has(name); }

  #dialogs() {
    keepToasts($('#viewer'));
    keepToasts($('#trash'));
  }

  async start() {
    let album;
    try {
      const { data, headers } = await this.api.get(albumPath);
      album = data;
      this.abilities = abilitiesOf(headers);
    } catch (error) {
      setStatus(status, error.status === 401
        ? 'This link has expired or does not give access to this album. Open the album again from its record.'
        : `The album could not be opened: ${error.message}`, 'error');
      return;
    }
    this.total = Number(album.images_count) || 0;
    this.#count();
    this.#dialogs();
    if (this.can('upload') && album.upload_form) this.#uploads(album.upload_form);
    if (this.can('download')) this.#downloads();
    if (this.can('trash')) this.#trash();
    if (this.can('list')) {
      this.page = 0;
      setStatus(status, '');
      watchEnd($('#sentinel'), () => this.#nextPage());
    } else {
      setStatus(status, this.can('upload') ? 'Photos you add appear here.' : 'This link does not show the album\'s images.');
    }
  }

  // One more page of the album (`X-Total-Count` tells when the last one is in); false at the end.
  async #nextPage() {
    this.page += 1;
    try {
      const { data, headers } = await this.api.get(`${albumPath}/images`, { page: this.page });
      const rows = Array.isArray(data) ? data : data?.images || [];
      this.gallery.append(rows);
      this.listed = (this.listed || 0) + rows.length;
      if (this.page === 1 && !rows.length) setStatus(status, 'No images in this album yet.');
      const total = Number(headers.get('X-Total-Count'));
      return rows.length > 0 && !(total && this.listed >= total);
    } catch (error) {
      setStatus(status, error.missingRoute
        ? 'This server cannot list the album\'s images yet; photos uploaded now appear below.'
        : `The images could not be loaded: ${error.message}`, error.missingRoute ? '' : 'error');
      return false;
    }
  }

  #added(n) {
    this.total += n;
    this.#count();
  }

  #count() {
    $('#count').textContent = `(${this.total} ${this.total === 1 ? 'image' : 'images'})`;
  }

  #uploads(form) {
    $('#uploader').hidden = false;
    const uploader = new Uploader({
      api: this.api, albumId, form, list: $('#upload-list'), gallery: this.gallery,
      onQueued: () => setStatus(status, ''),
      onUploaded: () => this.#added(1),
    });
    bindInputs(uploader, {
      dropzone: $('#dropzone'), pick: $('#pick-files'), camera: $('#take-photo'),
      fileInput: $('#file-input'), cameraInput: $('#camera-input'),
    });
  }

  // Delete to the trash; Undo restores it at its place when the token may use the trash.
  async delete(image) {
    await this.api.delete(`/api/v1/images/${encodeURIComponent(image.id)}`);
    const index = this.gallery.remove(image.id);
    this.names.set(image.id, nameOf(image));
    this.#added(-1);
    const restore = this.can('trash') ? { action: 'Undo', onAction: () => this.restore(image.id, index) } : {};
    toast(`${nameOf(image)} was moved to the trash.`, restore);
    return true;
  }

  async restore(id, index = this.gallery.length) {
    try {
      await this.api.delete(`/api/v1/trashed_images/${encodeURIComponent(id)}`);
      const { data } = await this.api.get(`/api/v1/images/${encodeURIComponent(id)}`);
      this.gallery.insert(data, index);
      this.#added(1);
      toast(`${nameOf(data)} is back.`);
      this.gallery.focus(id);
      return true;
    } catch (error) {
      toast(`Could not restore: ${error.message}`, { kind: 'error' });
      return false;
    }
  }

  #downloads() {
    const toggle = $('#select-toggle');
    const zip = $('#download-zip');
    toggle.hidden = false;
    zip.hidden = false;
    toggle.addEventListener('click', () => {
      const on = toggle.getAttribute('aria-pressed') !== 'true';
      toggle.setAttribute('aria-pressed', String(on));
      toggle.textContent = on ? 'Cancel selection' : 'Select';
      this.gallery.setSelecting(on);
    });
    zip.addEventListener('click', async () => {
      const ids = this.gallery.images.map((i) => i.id).filter((id) => this.gallery.selected.has(id));
      zip.disabled = true;
      try {
        const { data } = await this.api.post('/api/v1/downloads', { image_ids: ids });
        const link = el('a', { href: data.zip_url, download: `${albumId}.zip`, hidden: true });
        document.body.append(link);
        link.click();
        link.remove();
        toast(`Downloading ${ids.length} ${ids.length === 1 ? 'image' : 'images'} as a ZIP.`);
      } catch (error) {
        toast(error.missingRoute ? 'ZIP downloads are not available on this server.' : `The ZIP could not be made: ${error.message}`, { kind: 'error' });
      } finally {
        zip.disabled = this.gallery.selected.size === 0;
      }
    });
  }

  #selection(selected) {
    const zip = $('#download-zip');
    zip.disabled = selected.size === 0;
    zip.textContent = selected.size ? `Download ZIP (${selected.size})` : 'Download ZIP';
  }

  #trash() {
    const dialog = $('#trash');
    const list = $('#trash-list');
    const trashStatus = $('#trash-status');
    $('#trash-open').hidden = false;
    $('#trash-close').addEventListener('click', () => dialog.close());
    $('#trash-open').addEventListener('click', async () => {
      list.replaceChildren();
      setStatus(trashStatus, 'Loading the trash…');
      dialog.showModal();
      try {
        const { data } = await this.api.get('/api/v1/trashed_images', { album_id: albumId });
        setStatus(trashStatus, data.length ? `${data.length} in the trash` : 'The trash is empty.');
        list.replaceChildren(...data.map((row) => {
          const label = this.names.get(row.id) || `Image ${row.id.slice(0, 8)}`;
          const item = el('li', { class: 'trash-item' },
            el('img', { src: row.thumbnail_url, alt: '', width: '48', height: '48', loading: 'lazy' }),
            el('span', {}, label), el('span', { class: 'muted' }, `deleted ${formatDate(row.deleted_at)}`));
          item.append(el('button', {
            type: 'button', class: 'button', 'aria-label': `Restore ${label}`,
            onclick: async () => { if (await this.restore(row.id)) item.remove(); },
          }, 'Restore'));
          return item;
        }));
      } catch (error) {
        setStatus(trashStatus, `The trash could not be read: ${error.message}`, 'error');
      }
    });
  }
}

// The refresh before expiry; a refused one (token revoked meanwhile) is said on the page.
async function refresh() {
  try {
    return await api.get(albumPath);
  } catch (error) {
    if (error.status === 401) setStatus(status, 'Your access to this album has ended. Open the album again from its record.', 'error');
    throw error;
  }
}

const token = takeToken();
const api = new Api(token, { refresh });
const page = new Page(api);
if (token) page.start();
else setStatus(status, 'This page needs its access token: open the album from its record.', 'error');
