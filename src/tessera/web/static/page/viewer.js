// The full-screen viewer: a modal <dialog> (focus stays inside; Escape closes it and focus
// returns to the thumbnail), arrow keys and swipes to navigate, zoom and pan, the image's
// details, and the actions the token allows.

import { annotationUrl, Sketch } from './annotate.js';
import { CropBox, cropInPixels } from './crop.js';
import { $, el, formatDate, isColor, nameOf, setStatus, toast } from './dom.js';
import { placeOf } from './place.js';

const ZOOMS = [1, 1.5, 2, 3, 4];
const SWIPE_PX = 50;

// Metadata values are HTML-escaped by the server (media/tags.py); shown as text here.
function unescape(text) {
  if (typeof text !== 'string' || !text.includes('&')) return text;
  return new DOMParser().parseFromString(text, 'text/html').documentElement.textContent;
}

function camera(exifs) {
  const e = exifs || {};
  const body = [e.Make, e.Model].filter(Boolean).map(unescape);
  if (body.length === 2 && body[1].startsWith(body[0])) body.shift();
  const settings = [
    e.FNumber && `f/${unescape(e.FNumber)}`, e.ExposureTime && `${unescape(e.ExposureTime)} s`,
    e.ISO && `ISO ${unescape(e.ISO)}`,
    e.FocalLength && unescape(e.FocalLength).replace(/^(\d+(?:\.\d+)?)$/, '$1 mm'),
  ].filter(Boolean);
  return [body.join(' '), settings.join(' · ')].filter(Boolean).join(' — ');
}

export class Viewer {
  constructor({ api, gallery, albumId, can, onDelete, onAdded }) {
    this.api = api;
    this.gallery = gallery;
    this.albumId = albumId;
    this.can = can;
    this.onDelete = onDelete;
    this.onAdded = onAdded;
    this.dialog = $('#viewer');
    this.image = $('#viewer-image');
    this.frame = $('#frame');
    this.stage = $('#stage');
    this.status = $('#viewer-status');
    this.index = -1;
    this.zoom = 0;
    this.pan = { x: 0, y: 0 };
    this.mode = '';
    this.annotationUrl = null;
    this.annotationSaved = null;
    this.crop = new CropBox($('#crop-box'), { x: $('#crop-x'), y: $('#crop-y'), w: $('#crop-w'), h: $('#crop-h') });
    this.sketch = new Sketch($('#draw-layer'));
    this.#bind();
  }

  get current() { return this.gallery.images[this.index]; }

  open(id) {
    this.index = this.gallery.indexOf(id);
    if (this.index < 0) return;
    this.opener = id;
    for (const node of this.dialog.querySelectorAll('[data-ability]')) node.hidden = !this.can(node.dataset.ability);
    $('#tag-form').hidden = !this.can('tag');
    if (!this.dialog.open) this.dialog.showModal();
    this.#show();
    $('#viewer-close').focus();
  }

  close() { if (this.dialog.open) this.dialog.close(); }

  go(step) {
    const count = this.gallery.length;
    if (!count || this.mode) return;
    this.index = (this.index + step + count) % count;
    this.#show();
  }

  // --- showing --------------------------------------------------------------------------

  #show() {
    const image = this.current;
    if (!image) { this.close(); return; }
    this.#endMode();
    this.#setZoom(0);
    const name = nameOf(image);
    this.image.alt = name;
    // Not the previous image under the new title while the new one loads: its colour instead.
    this.image.removeAttribute('src');
    this.frame.style.backgroundColor = isColor(image.color) ? image.color : '';
    this.image.src = image.thumbnails?.full || image.thumbnails?.large || '';
    this.#fit();
    $('#viewer-title').textContent = name;
    $('#viewer-position').textContent = `Image ${this.index + 1} of ${this.gallery.length}`;
    $('#viewer-caption').textContent = image.description || '';
    const download = $('#download-one');
    download.href = image.original_url || '';
    download.setAttribute('download', image.filename || '');
    this.#meta(image);
    this.#preload();
    setStatus(this.status, '');
    this.#loadTags(image);
    this.#loadAnnotation(image);
  }

  // The frame takes the image's shape at the largest size the stage allows, before the image
  // has loaded: the crop box and the drawing layer lie exactly over it.
  #fit() {
    const image = this.current;
    const box = this.stage.getBoundingClientRect();
    if (!image || !image.width || !image.height || !box.width || !box.height) return;
    const scale = Math.min(box.width / image.width, box.height / image.height);
    this.frame.style.width = `${Math.floor(image.width * scale)}px`;
    this.frame.style.height = `${Math.floor(image.height * scale)}px`;
  }

  #meta(image) {
    const rows = [
      ['Date taken', formatDate(image.taken_at)],
      ['Uploaded', formatDate(image.created_at)],
      ['Size', image.width && image.height ? `${image.width} × ${image.height} px` : ''],
      ['File', [image.filename, image.format && image.format.toUpperCase()].filter(Boolean).join(', ')],
      ['Camera', camera(image.exifs)],
    ].filter(([, value]) => value);
    $('#meta').replaceChildren(...rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
    const place = $('#place');
    const gps = Array.isArray(image.gps) && image.gps.length === 2 ? image.gps.map(Number) : null;
    place.hidden = !gps;
    place.replaceChildren(...(gps ? placeOf(gps[0], gps[1]) : []));
  }

  #preload() {
    for (const step of [1, -1]) {
      const next = this.gallery.images[(this.index + step + this.gallery.length) % this.gallery.length];
      if (next && next.thumbnails?.full) new Image().src = next.thumbnails.full;
    }
  }

  async #loadTags(image) {
    const list = $('#tag-list');
    list.replaceChildren();
    try {
      const { data } = await this.api.get('/api/v1/tag_images', { image_ids: [image.id] });
      if (this.current?.id !== image.id) return;
      const names = [...new Set((data || []).map((row) => row.tag?.label_en || row.tag?.name).filter(Boolean))];
      list.replaceChildren(...names.map((name) => el('li', { class: 'tag' }, name)));
      if (!names.length) list.append(el('li', { class: 'muted' }, 'No tags'));
    } catch (error) {
      list.replaceChildren(el('li', { class: 'muted' }, `Tags unavailable: ${error.message}`));
    }
  }

  async #loadAnnotation(image) {
    const layer = $('#annotation-layer');
    layer.hidden = true;
    if (this.annotationUrl) URL.revokeObjectURL(this.annotationUrl);
    this.annotationUrl = null;
    this.annotationSaved = null;
    try {
      const { data } = await this.api.get(`/api/v1/images/${encodeURIComponent(image.id)}/annotation`);
      if (this.current?.id !== image.id || !data || !data.svg) return;
      this.annotationSaved = data.object || null;
      this.annotationUrl = annotationUrl(data.svg);
      layer.src = this.annotationUrl;
      layer.alt = `Drawing on ${nameOf(image)}`;
      layer.hidden = false;
    } catch (_) { /* no annotation, or annotations not served here */ }
  }

  // --- zoom, pan, swipe -----------------------------------------------------------------

  #setZoom(level) {
    this.zoom = Math.max(0, Math.min(ZOOMS.length - 1, level));
    if (this.zoom === 0) this.pan = { x: 0, y: 0 };
    const scale = ZOOMS[this.zoom];
    this.frame.style.transform = `translate(${this.pan.x}px, ${this.pan.y}px) scale(${scale})`;
    this.stage.classList.toggle('zoomed', this.zoom > 0);
    $('#zoom-level').textContent = `${Math.round(scale * 100)}%`;
  }

  #gestures() {
    let start = null;
    this.stage.addEventListener('pointerdown', (e) => {
      if (this.mode || e.target.closest('button')) return;
      start = { x: e.clientX, y: e.clientY, pan: { ...this.pan } };
      this.stage.setPointerCapture(e.pointerId);
    });
    this.stage.addEventListener('pointermove', (e) => {
      if (!start || this.zoom === 0) return;
      this.pan = { x: start.pan.x + e.clientX - start.x, y: start.pan.y + e.clientY - start.y };
      this.#setZoom(this.zoom);
    });
    const end = (e) => {
      if (!start) return;
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      start = null;
      if (this.zoom === 0 && Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy)) this.go(dx < 0 ? 1 : -1);
    };
    this.stage.addEventListener('pointerup', end);
    this.stage.addEventListener('pointercancel', () => { start = null; });
    this.stage.addEventListener('dblclick', () => { if (!this.mode) this.#setZoom(this.zoom ? 0 : 2); });
    this.stage.addEventListener('wheel', (e) => {
      if (this.mode) return;
      e.preventDefault();
      this.#setZoom(this.zoom + (e.deltaY < 0 ? 1 : -1));
    }, { passive: false });
  }

  #keys(event) {
    const typing = event.target.closest('input, textarea, select, [contenteditable]');
    if (typing || this.mode) return;
    const actions = {
      ArrowRight: () => this.go(1), ArrowLeft: () => this.go(-1),
      Home: () => { this.index = 0; this.#show(); }, End: () => { this.index = this.gallery.length - 1; this.#show(); },
      '+': () => this.#setZoom(this.zoom + 1), '=': () => this.#setZoom(this.zoom + 1),
      '-': () => this.#setZoom(this.zoom - 1), 0: () => this.#setZoom(0),
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  }

  // --- actions --------------------------------------------------------------------------

  async #call(label, run) {
    setStatus(this.status, `${label}…`);
    try {
      const result = await run();
      setStatus(this.status, `${label}: done.`);
      return result;
    } catch (error) {
      const message = error.missingRoute ? `${label} is not available on this server.` : `${label} failed: ${error.message}`;
      setStatus(this.status, message, 'error');
      return null;
    }
  }

  async #update(label, fields) {
    const image = this.current;
    const result = await this.#call(label, () => this.api.put(`/api/v1/images/${encodeURIComponent(image.id)}`, { image: fields }));
    if (result && result.data?.id) {
      this.gallery.update(result.data);
      this.index = this.gallery.indexOf(result.data.id);
      this.#show();
      setStatus(this.status, `${label}: done.`);
    }
    return result;
  }

  #rotate(step) {
    const rotation = (((this.current.rotation || 0) + step) % 360 + 360) % 360;
    return this.#update(step > 0 ? 'Rotate right' : 'Rotate left', { rotation });
  }

  // Tag by name; a name no tag has yet is created first when the token may create tags.
  async #tag(name) {
    const image = this.current;
    const tagImages = () => this.api.post(`/api/v1/tags/${encodeURIComponent(name)}/tag_images`, { image_ids: [image.id] });
    const result = await this.#call(`Tag ${name}`, async () => {
      try {
        return await tagImages();
      } catch (error) {
        if (error.status !== 404 || error.missingRoute || !this.can('create-tag')) throw error;
        try {
          await this.api.post('/api/v1/tags', { tag: { name } });
        } catch (created) {
          if (created.status !== 409) throw created; // 409: created meanwhile, fine
        }
        return tagImages();
      }
    });
    if (result) { $('#tag-input').value = ''; this.#loadTags(image); }
  }

  async #suggest(text) {
    if (!text.trim()) return;
    try {
      const { data } = await this.api.get('/api/v1/tags/autocomplete', { q: text });
      const names = (Array.isArray(data) ? data : data?.tags || [])
        .map((t) => (typeof t === 'string' ? t : t.name || t.label_en)).filter(Boolean);
      $('#tag-suggestions').replaceChildren(...names.slice(0, 20).map((name) => el('option', { value: name })));
    } catch (_) { /* suggestions are a convenience */ }
  }

  async #duplicate() {
    const image = this.current;
    const result = await this.#call('Duplicate', () => this.api.post(`/api/v1/images/${encodeURIComponent(image.id)}/duplicate`));
    if (result && result.data?.id) {
      this.gallery.insert(result.data, this.index + 1);
      this.onAdded(1);
      toast(`Duplicated ${nameOf(image)}.`);
    }
  }

  async #delete() {
    const image = this.current;
    const index = this.index;
    const done = await this.#call('Delete', () => this.onDelete(image));
    if (done === null) return;
    if (!this.gallery.length) { this.close(); return; }
    this.index = Math.min(index, this.gallery.length - 1);
    this.#show();
  }

  // Crop, caption and annotate are modes: navigation waits until they end.
  #startMode(mode) {
    this.#endMode();
    this.#setZoom(0);
    this.mode = mode;
    this.dialog.classList.add(`mode-${mode}`);
    $('#actions').hidden = true;
  }

  #endMode() {
    if (this.mode) this.dialog.classList.remove(`mode-${this.mode}`);
    this.mode = '';
    this.crop.stop();
    this.sketch.stop();
    for (const id of ['#crop-controls', '#caption-form', '#annotate-controls']) $(id).hidden = true;
    $('#actions').hidden = false;
  }

  #bind() {
    this.dialog.addEventListener('keydown', (e) => this.#keys(e));
    this.dialog.addEventListener('close', () => {
      this.#endMode();
      if (this.opener) this.gallery.focus(this.current?.id || this.opener);
    });
    this.dialog.addEventListener('cancel', (e) => {
      if (this.mode) { e.preventDefault(); this.#endMode(); }
    });
    this.#gestures();
    new ResizeObserver(() => this.#fit()).observe(this.stage);
    $('#viewer-close').addEventListener('click', () => this.close());
    $('#prev').addEventListener('click', () => this.go(-1));
    $('#next').addEventListener('click', () => this.go(1));
    $('#zoom-in').addEventListener('click', () => this.#setZoom(this.zoom + 1));
    $('#zoom-out').addEventListener('click', () => this.#setZoom(this.zoom - 1));
    $('#zoom-reset').addEventListener('click', () => this.#setZoom(0));
    $('#rotate-left').addEventListener('click', () => this.#rotate(-90));
    $('#rotate-right').addEventListener('click', () => this.#rotate(90));
    $('#duplicate').addEventListener('click', () => this.#duplicate());
    $('#delete').addEventListener('click', () => this.#delete());

    $('#crop-start').addEventListener('click', () => {
      this.#startMode('crop');
      $('#crop-controls').hidden = false;
      this.crop.start();
    });
    $('#crop-cancel').addEventListener('click', () => this.#endMode());
    $('#crop-apply').addEventListener('click', async () => {
      const crop = cropInPixels(this.current, this.crop.rect);
      this.#endMode();
      await this.#update('Crop', { crop });
    });
    $('#crop-reset').addEventListener('click', async () => {
      this.#endMode();
      await this.#update('Undo crops', { crop: { x: 0, y: 0, width: 0, height: 0 } });
    });

    $('#caption-start').addEventListener('click', () => {
      this.#startMode('caption');
      const form = $('#caption-form');
      form.hidden = false;
      $('#caption-title').value = this.current.title || '';
      $('#caption-description').value = this.current.description || '';
      $('#caption-title').focus();
    });
    $('#caption-cancel').addEventListener('click', () => this.#endMode());
    $('#caption-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const fields = { title: $('#caption-title').value, description: $('#caption-description').value };
      this.#endMode();
      await this.#update('Caption', fields);
    });

    $('#annotate-start').addEventListener('click', () => {
      this.#startMode('annotate');
      $('#annotate-controls').hidden = false;
      $('#annotation-layer').hidden = true;
      this.sketch.color = $('#annotate-color').value;
      this.sketch.start(this.current, this.annotationSaved);
      $('#annotate-color').focus();
    });
    $('#annotate-color').addEventListener('change', (e) => { this.sketch.color = e.target.value; });
    $('#annotate-undo').addEventListener('click', () => this.sketch.undo());
    $('#annotate-clear').addEventListener('click', () => this.sketch.clear());
    $('#annotate-cancel').addEventListener('click', () => { this.#endMode(); this.#loadAnnotation(this.current); });
    $('#annotate-save').addEventListener('click', async () => {
      const image = this.current;
      const body = this.sketch.toAnnotation();
      const result = await this.#call('Save drawing', () => this.api.put(
        `/api/v1/images/${encodeURIComponent(image.id)}/annotation`, body));
      if (result) { this.#endMode(); this.#loadAnnotation(image); }
    });

    let timer;
    $('#tag-input').addEventListener('input', (e) => {
      clearTimeout(timer);
      timer = setTimeout(() => this.#suggest(e.target.value), 200);
    });
    $('#tag-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const name = $('#tag-input').value.trim();
      if (name) this.#tag(name);
    });
  }
}
