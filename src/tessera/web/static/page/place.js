// Where a photo was taken, offline: the coordinates, a locator on a graticule (an
// equirectangular frame of the globe, drawn here: no tile server is asked for anything), and
// an OpenStreetMap link that is only followed if the user clicks it.

import { el } from './dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

export function coordinates(lat, lon) {
  const ns = lat >= 0 ? 'N' : 'S';
  const ew = lon >= 0 ? 'E' : 'W';
  return `${Math.abs(lat).toFixed(5)}° ${ns}, ${Math.abs(lon).toFixed(5)}° ${ew}`;
}

function locator(lat, lon) {
  const map = svg('svg', { viewBox: '0 0 360 180', class: 'locator', role: 'img', 'aria-label': `Position on the globe: ${coordinates(lat, lon)}` });
  map.append(svg('rect', { x: 0, y: 0, width: 360, height: 180, class: 'sea' }));
  for (let x = 30; x < 360; x += 30) map.append(svg('line', { x1: x, y1: 0, x2: x, y2: 180, class: x === 180 ? 'axis' : 'grid' }));
  for (let y = 30; y < 180; y += 30) map.append(svg('line', { x1: 0, y1: y, x2: 360, y2: y, class: y === 90 ? 'axis' : 'grid' }));
  const x = lon + 180;
  const y = 90 - lat;
  map.append(svg('line', { x1: x, y1: 0, x2: x, y2: 180, class: 'cross' }));
  map.append(svg('line', { x1: 0, y1: y, x2: 360, y2: y, class: 'cross' }));
  map.append(svg('circle', { cx: x, cy: y, r: 5, class: 'spot' }));
  return map;
}

export function placeOf(lat, lon) {
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return [];
  const url = `https://www.openstreetmap.org/?mlat=${lat.toFixed(6)}&mlon=${lon.toFixed(6)}#map=15/${lat.toFixed(6)}/${lon.toFixed(6)}`;
  return [
    el('h3', { class: 'panel-heading' }, 'Place'),
    el('p', { class: 'coordinates' }, coordinates(lat, lon)),
    locator(lat, lon),
    el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'osm-link' }, 'Open in OpenStreetMap (new tab)'),
  ];
}
