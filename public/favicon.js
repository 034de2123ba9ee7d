// The tab's icon with a red badge counting unread mentions, drawn on a canvas
// from /favicon.svg. Anything that fails (no canvas, the icon does not load)
// leaves the plain icon: a badge is a nicety, never worth an error.

import { faviconText } from './badges.js';

const PLAIN = '/favicon.svg';
const SIZE = 64;
let icon = null; // the decoded /favicon.svg, once
let shown = 0;
let ticket = 0;

function linkEl() {
  return document.querySelector('link[rel~="icon"]');
}

function loadIcon() {
  if (!icon) {
    icon = new Promise((resolve, reject) => {
      const img = new Image(SIZE, SIZE);
      img.onload = () => resolve(img);
      img.onerror = reject;
      img.src = PLAIN;
    });
    icon.catch(() => { icon = null; });
  }
  return icon;
}

/** Shows `count` on the favicon (0: the plain icon). */
export async function setFaviconBadge(count) {
  const n = count > 0 ? count : 0;
  if (n === shown) return;
  shown = n;
  const mine = ++ticket;
  const link = linkEl();
  if (!link) return;
  if (!n) { link.type = 'image/svg+xml'; link.href = PLAIN; return; }
  try {
    const img = await loadIcon();
    if (mine !== ticket) return;
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = SIZE;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0, SIZE, SIZE);
    const text = faviconText(n);
    const r = text.length > 1 ? 20 : 17;
    const cx = SIZE - r;
    const cy = r;
    // A ring of the page's white around the dot keeps it apart from the icon.
    g.beginPath(); g.arc(cx, cy, r + 3, 0, Math.PI * 2); g.fillStyle = '#ffffff'; g.fill();
    g.beginPath(); g.arc(cx, cy, r, 0, Math.PI * 2); g.fillStyle = '#e03131'; g.fill();
    g.fillStyle = '#ffffff';
    g.font = `bold ${text.length > 1 ? 22 : 28}px system-ui, sans-serif`;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText(text, cx, cy + 2);
    link.type = 'image/png';
    link.href = canvas.toDataURL('image/png');
  } catch {
    shown = 0; // try again on the next change
    link.type = 'image/svg+xml';
    link.href = PLAIN;
  }
}
