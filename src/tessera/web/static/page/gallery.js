// The gallery: images in a stable order (the server's, then uploads in the order they were
// dropped), thumbnails from the delivery engine with srcset, lazy, on a placeholder in the
// image's dominant colour; pages loaded as the end of the list comes into view.

import { el, isColor, nameOf } from './dom.js';

// Width of each thumbnail the image JSON carries (image_links.py chains).
function srcsetOf(image) {
  const thumbs = image.thumbnails || {};
  const external = image.external_urls || {};
  const candidates = [[thumbs.mini, 100], [thumbs.large, 200], [external.fill100, 300], [thumbs.full, 1920]];
  return candidates.filter(([url]) => url).map(([url, width]) => `${url} ${width}w`).join(', ');
}

export class Gallery {
  constructor(root, { onOpen, onSelectionChange }) {
    this.root = root;
    this.images = [];
    this.tiles = new Map();
    this.selecting = false;
    this.selected = new Set();
    this.onOpen = onOpen;
    this.onSelectionChange = onSelectionChange || (() => {});
  }

  get length() { return this.images.length; }

  indexOf(id) { return this.images.findIndex((image) => image.id === id); }

  has(id) { return this.tiles.has(id); }

  // Images of a page from the server, skipping any already shown (e.g. just uploaded).
  append(images) {
    for (const image of images) {
      if (!image || !image.id || this.has(image.id)) continue;
      this.images.push(image);
      const tile = this.#tile(image);
      this.tiles.set(image.id, tile);
      const pending = this.root.querySelector('.tile.pending');
      this.root.insertBefore(tile, pending);
    }
    this.#relabel();
  }

  // A placeholder holding an upload's place, so uploads land in the order they were dropped.
  reserve(label) {
    const tile = el('li', { class: 'tile pending', 'aria-label': `Uploading ${label}` },
      el('span', { class: 'tile-spinner', 'aria-hidden': 'true' }));
    this.root.append(tile);
    return tile;
  }

  // The uploaded image takes its placeholder's place (and its rank among uploads).
  fill(placeholder, image) {
    if (this.has(image.id)) { placeholder.remove(); return; }
    const tile = this.#tile(image);
    placeholder.replaceWith(tile);
    this.tiles.set(image.id, tile);
    const before = [...this.root.children].filter((n) => n.dataset.id);
    const rank = before.indexOf(tile);
    this.images.splice(rank, 0, image);
    this.#relabel();
  }

  insert(image, index) {
    if (this.has(image.id)) return;
    const at = Math.max(0, Math.min(index, this.images.length));
    const next = this.images[at];
    this.images.splice(at, 0, image);
    const tile = this.#tile(image);
    this.tiles.set(image.id, tile);
    this.root.insertBefore(tile, next ? this.tiles.get(next.id) : this.root.querySelector('.tile.pending'));
    this.#relabel();
  }

  update(image) {
    const index = this.indexOf(image.id);
    if (index < 0) return;
    this.images[index] = image;
    const old = this.tiles.get(image.id);
    const tile = this.#tile(image);
    old.replaceWith(tile);
    this.tiles.set(image.id, tile);
    this.#relabel();
  }

  remove(id) {
    const index = this.indexOf(id);
    if (index < 0) return -1;
    this.images.splice(index, 1);
    this.tiles.get(id).remove();
    this.tiles.delete(id);
    this.selected.delete(id);
    this.#relabel();
    this.onSelectionChange(this.selected);
    return index;
  }

  focus(id) {
    this.tiles.get(id)?.querySelector('.tile-open')?.focus();
  }

  setSelecting(on) {
    this.selecting = on;
    this.root.classList.toggle('selecting', on);
    if (!on) this.selected.clear();
    for (const [id, tile] of this.tiles) {
      const box = tile.querySelector('.tile-select');
      box.hidden = !on;
      box.checked = this.selected.has(id);
    }
    this.onSelectionChange(this.selected);
  }

  #tile(image) {
    const name = nameOf(image);
    const img = el('img', {
      alt: name, loading: 'lazy', decoding: 'async', width: 200, height: 200,
      sizes: '(max-width: 480px) 33vw, 160px', src: image.thumbnails?.large || '',
    });
    const srcset = srcsetOf(image);
    if (srcset) img.srcset = srcset;
    img.addEventListener('load', () => img.classList.add('loaded'), { once: true });
    const open = el('button', { type: 'button', class: 'tile-open', onclick: () => {
      if (this.selecting) { box.click(); return; }
      this.onOpen(image.id);
    } }, img);
    const box = el('input', {
      type: 'checkbox', class: 'tile-select', hidden: !this.selecting, 'aria-label': `Select ${name}`,
      checked: this.selected.has(image.id),
      onchange: () => {
        if (box.checked) this.selected.add(image.id); else this.selected.delete(image.id);
        tile.classList.toggle('is-selected', box.checked);
        this.onSelectionChange(this.selected);
      },
    });
    const tile = el('li', { class: 'tile', dataset: { id: image.id } }, open, box);
    if (isColor(image.color)) tile.style.backgroundColor = image.color;
    return tile;
  }

  #relabel() {
    const total = this.images.length;
    this.images.forEach((image, i) => {
      const button = this.tiles.get(image.id).querySelector('.tile-open');
      button.setAttribute('aria-label', `Open ${nameOf(image)} (${i + 1} of ${total})`);
    });
  }
}

// Infinite scroll: `load()` answers false once the last page is in.
export function watchEnd(sentinel, load) {
  let busy = false;
  let done = false;
  const observer = new IntersectionObserver(async (entries) => {
    if (!entries.some((e) => e.isIntersecting) || busy || done) return;
    busy = true;
    try {
      do {
        done = !(await load());
      } while (!done && isVisible(sentinel));
    } finally {
      busy = false;
      if (done) observer.disconnect();
    }
  }, { rootMargin: '800px 0px' });
  observer.observe(sentinel);
  return observer;
}

function isVisible(node) {
  const rect = node.getBoundingClientRect();
  return rect.top < window.innerHeight + 800;
}
