// The crop box over the viewer's image: dragged, resized by its corners, moved and resized by
// the arrow keys, or typed in percent; it answers fractions of the displayed image.

const MIN = 0.02;
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export class CropBox {
  constructor(box, fields) {
    this.box = box;
    this.fields = fields; // {x, y, w, h} number inputs, in percent
    this.rect = { x: 0.1, y: 0.1, w: 0.8, h: 0.8 };
    box.addEventListener('pointerdown', (e) => this.#grab(e));
    box.addEventListener('keydown', (e) => this.#key(e));
    for (const input of Object.values(fields)) input.addEventListener('input', () => this.#typed());
  }

  start() {
    this.rect = { x: 0.1, y: 0.1, w: 0.8, h: 0.8 };
    this.box.hidden = false;
    this.#draw();
    this.box.focus();
  }

  stop() { this.box.hidden = true; }

  #draw() {
    const { x, y, w, h } = this.rect;
    Object.assign(this.box.style, { left: `${x * 100}%`, top: `${y * 100}%`, width: `${w * 100}%`, height: `${h * 100}%` });
    this.fields.x.value = Math.round(x * 100);
    this.fields.y.value = Math.round(y * 100);
    this.fields.w.value = Math.round(w * 100);
    this.fields.h.value = Math.round(h * 100);
  }

  #set(rect) {
    const w = clamp(rect.w, MIN, 1);
    const h = clamp(rect.h, MIN, 1);
    this.rect = { x: clamp(rect.x, 0, 1 - w), y: clamp(rect.y, 0, 1 - h), w, h };
    this.#draw();
  }

  #typed() {
    const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((k) => Number(this.fields[k].value) / 100);
    if ([x, y, w, h].some((v) => Number.isNaN(v))) return;
    this.#set({ x, y, w, h });
  }

  #grab(event) {
    event.preventDefault();
    event.stopPropagation();
    const frame = this.box.parentElement.getBoundingClientRect();
    const handle = event.target.dataset.handle || '';
    const start = { ...this.rect, px: event.clientX, py: event.clientY };
    this.box.setPointerCapture(event.pointerId);
    const move = (e) => {
      const dx = (e.clientX - start.px) / frame.width;
      const dy = (e.clientY - start.py) / frame.height;
      if (!handle) { this.#set({ ...start, x: start.x + dx, y: start.y + dy }); return; }
      let { x, y, w, h } = start;
      if (handle.includes('w')) { x = clamp(start.x + dx, 0, start.x + start.w - MIN); w = start.w + (start.x - x); }
      if (handle.includes('e')) w = clamp(start.w + dx, MIN, 1 - start.x);
      if (handle.includes('n')) { y = clamp(start.y + dy, 0, start.y + start.h - MIN); h = start.h + (start.y - y); }
      if (handle.includes('s')) h = clamp(start.h + dy, MIN, 1 - start.y);
      this.#set({ x, y, w, h });
    };
    const up = () => {
      this.box.removeEventListener('pointermove', move);
      this.box.removeEventListener('pointerup', up);
      this.box.removeEventListener('pointercancel', up);
    };
    this.box.addEventListener('pointermove', move);
    this.box.addEventListener('pointerup', up);
    this.box.addEventListener('pointercancel', up);
  }

  #key(event) {
    const step = 0.02;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    event.stopPropagation();
    const [dx, dy] = move;
    const r = this.rect;
    if (event.shiftKey) this.#set({ ...r, w: r.w + dx, h: r.h + dy });
    else this.#set({ ...r, x: r.x + dx, y: r.y + dy });
  }
}

// The crop to send, in pixels of the rotated original (the frame the server crops in, after
// `a_<rotation>`): the box's fractions of what is shown now (already cropped) mapped back.
export function cropInPixels(image, rect) {
  const turned = ((image.rotation || 0) % 180) !== 0;
  const fullW = turned ? image.original_height : image.original_width;
  const fullH = turned ? image.original_width : image.original_height;
  const cropped = image.crop_w > 0 && image.crop_h > 0;
  const base = cropped
    ? { x: image.crop_x, y: image.crop_y, w: image.crop_w, h: image.crop_h }
    : { x: 0, y: 0, w: fullW, h: fullH };
  return {
    x: Math.round(base.x + rect.x * base.w),
    y: Math.round(base.y + rect.y * base.h),
    width: Math.max(1, Math.round(rect.w * base.w)),
    height: Math.max(1, Math.round(rect.h * base.h)),
  };
}
