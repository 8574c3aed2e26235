// Drawing on top of an image: freehand strokes in an SVG whose viewBox is the image's size,
// saved as `{svg, object}` (the SVG text and the strokes it was drawn from). A saved SVG is
// shown through an <img> (a blob: URL), where no script in it can run.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Strokes read back from the server go into SVG text: only the shapes this page writes.
const isStroke = (s) => s && typeof s.d === 'string' && /^[ML0-9 .-]+$/.test(s.d)
  && /^#[0-9a-fA-F]{3,8}$/.test(s.color) && Number.isFinite(Number(s.width));

export class Sketch {
  constructor(svg) {
    this.svg = svg;
    this.strokes = [];
    this.color = '#e53935';
    this.size = { width: 1000, height: 1000 };
    svg.addEventListener('pointerdown', (e) => this.#draw(e));
  }

  start(image, saved) {
    this.size = { width: image.width || 1000, height: image.height || 1000 };
    this.svg.setAttribute('viewBox', `0 0 ${this.size.width} ${this.size.height}`);
    this.strokes = Array.isArray(saved?.strokes) ? saved.strokes.filter(isStroke) : [];
    this.#render();
    this.svg.removeAttribute('hidden'); // an SVGElement has no `hidden` property
  }

  stop() { this.svg.setAttribute('hidden', ''); }

  undo() { this.strokes.pop(); this.#render(); }

  clear() { this.strokes = []; this.#render(); }

  get width() { return Math.max(2, Math.round(Math.max(this.size.width, this.size.height) / 200)); }

  // What PUT /api/v1/images/:id/annotation takes.
  toAnnotation() {
    const { width, height } = this.size;
    const paths = this.strokes.map((s) => `<path d="${s.d}" fill="none" stroke="${s.color}" stroke-width="${s.width}" stroke-linecap="round" stroke-linejoin="round"/>`).join('');
    const svg = `<svg xmlns="${SVG_NS}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${paths}</svg>`;
    return { svg, object: { version: 1, width, height, strokes: this.strokes } };
  }

  #render() {
    this.svg.replaceChildren(...this.strokes.map((s) => this.#path(s)));
  }

  #path(stroke) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', stroke.d);
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', stroke.color);
    path.setAttribute('stroke-width', stroke.width);
    path.setAttribute('stroke-linecap', 'round');
    path.setAttribute('stroke-linejoin', 'round');
    return path;
  }

  #point(event) {
    const rect = this.svg.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * this.size.width;
    const y = ((event.clientY - rect.top) / rect.height) * this.size.height;
    return `${Math.round(x)} ${Math.round(y)}`;
  }

  #draw(event) {
    event.preventDefault();
    event.stopPropagation();
    this.svg.setPointerCapture(event.pointerId);
    const stroke = { d: `M${this.#point(event)}`, color: this.color, width: this.width };
    const path = this.#path(stroke);
    this.svg.append(path);
    const move = (e) => {
      stroke.d += ` L${this.#point(e)}`;
      path.setAttribute('d', stroke.d);
    };
    const up = () => {
      this.svg.removeEventListener('pointermove', move);
      this.svg.removeEventListener('pointerup', up);
      this.svg.removeEventListener('pointercancel', up);
      if (!stroke.d.includes('L')) stroke.d += ` L${stroke.d.slice(1)}`; // a dot
      this.strokes.push(stroke);
    };
    this.svg.addEventListener('pointermove', move);
    this.svg.addEventListener('pointerup', up);
    this.svg.addEventListener('pointercancel', up);
  }
}

// An <img> source for a saved annotation's SVG text (revoked by the caller).
export function annotationUrl(svgText) {
  return URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
}
