// Small DOM helpers: elements built with properties (never HTML strings), toasts, formats.

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof node[key] !== 'function' && !key.startsWith('aria')) node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

export function setStatus(node, message, kind = '') {
  node.textContent = message || '';
  node.dataset.kind = kind;
}

// A toast with an optional action button (e.g. Undo); it stays while focused or hovered.
export function toast(message, { action, onAction, kind = '', timeout = 8000 } = {}) {
  // A modal dialog makes the rest of the page inert: toasts go into the open one.
  const region = document.querySelector('dialog[open] .toasts') || document.getElementById('toasts');
  const item = el('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    el('span', {}, message));
  let timer;
  const close = () => { clearTimeout(timer); item.remove(); };
  if (action) {
    item.append(el('button', {
      type: 'button', class: 'button', onclick: async () => { close(); await onAction(); },
    }, action));
  }
  item.append(el('button', { type: 'button', class: 'button icon', 'aria-label': 'Dismiss', onclick: close },
    el('span', { 'aria-hidden': 'true' }, '✕')));
  const arm = () => { timer = setTimeout(close, timeout); };
  item.addEventListener('focusin', () => clearTimeout(timer));
  item.addEventListener('mouseenter', () => clearTimeout(timer));
  item.addEventListener('mouseleave', arm);
  region.append(item);
  arm();
  return item;
}

export function formatDate(text) {
  if (!text) return '';
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function isColor(value) {
  return typeof value === 'string' && /^#[0-9a-fA-F]{3,8}$/.test(value);
}

export function nameOf(image) {
  return image.title || image.filename || image.infos?.original_filename || 'Image';
}

// Toasts shown in a dialog outlive it: on close they move to the page's own region.
export function keepToasts(dialog) {
  dialog.addEventListener('close', () => {
    document.getElementById('toasts').append(...dialog.querySelectorAll('.toast'));
  });
}
