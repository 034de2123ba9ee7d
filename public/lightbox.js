// An image at full size in a modal (dialogs.js: Escape or a click outside
// closes it and focus goes back to the thumbnail), named by the file name,
// with its size and a download link.

import { h } from './dom.js';
import { openDialog } from './dialogs.js';
import { formatSize } from './files.js';

/** Opens `att` (an Attachment with `image`) in the lightbox; returns { close }. */
export function openLightbox(att) {
  const { width, height } = att.image;
  const img = h('img', { class: 'lightbox-img', src: att.url, alt: att.name, width, height, decoding: 'async' });
  const foot = h('div', { class: 'lightbox-foot' },
    h('span', { class: 'muted small' }, `${width} × ${height} · ${formatSize(att.size)}`),
    h('a', { class: 'btn', href: att.url, download: att.name }, 'Download'));
  const { close } = openDialog({ title: att.name, className: 'lightbox', content: [h('div', { class: 'lightbox-stage' }, img), foot] });
  return { close };
}
