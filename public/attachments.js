// Attachments in the log: a stored message's images (inline, at their aspect
// ratio, with their space reserved before they load; a click opens the
// lightbox) and other files (a chip with an icon, the name, the size and a
// download link); and a pending message's files with a progress bar, a note
// and a cancel button each. File names are user data: text nodes and
// attributes only.

import { h, icon } from './dom.js';
import { fitImage, formatSize, isInlineImage, filesSettled } from './files.js';
import { openLightbox } from './lightbox.js';

const PATHS = {
  paperclip: 'M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48',
  file: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zM14 2v6h6M16 13H8M16 17H8M10 9H8',
  image: 'M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zM8.5 10a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM21 15l-5-5L5 21',
  download: 'M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4M7 10l5 5 5-5M12 15V3',
  upload: 'M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4M17 8l-5-5-5 5M12 3v12',
  check: 'M20 6 9 17l-5-5',
};

/** The attachment icons (dom.js draws them; the paths live here with the feature). */
export function fileIcon(name, size = 18) {
  const svg = icon('', size);
  svg.firstChild.setAttribute('d', PATHS[name] || '');
  return svg;
}

/** "PDF" for report.pdf; '' when there is no short extension. */
function kind(name) {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return m ? m[1].toUpperCase() : '';
}

function imageNode(att) {
  const { width, height } = fitImage(att.image.width, att.image.height);
  return h('button', {
    type: 'button', class: 'att-image', aria: { label: `Open ${att.name} full size` }, title: att.name,
    onclick: () => openLightbox(att),
  }, h('img', { src: att.url, alt: att.name, width, height, loading: 'lazy', decoding: 'async' }));
}

function fileChip(att) {
  const size = formatSize(att.size);
  const type = kind(att.name);
  return h('a', {
    class: 'att-file', href: att.url, download: att.name, title: `Download ${att.name}`,
    aria: { label: `Download ${att.name}, ${size}` },
  },
  h('span', { class: 'att-file-icon' }, fileIcon('file', 20)),
  h('span', { class: 'att-meta' },
    h('span', { class: 'att-name' }, att.name),
    h('span', { class: 'att-size' }, type ? `${type} · ${size}` : size)),
  h('span', { class: 'att-dl' }, fileIcon('download', 16)));
}

/** A stored message's attachments, or null (none, or deleted). */
export function attachmentList(m) {
  const list = m.deleted ? [] : (m.attachments || []);
  if (!list.length) return null;
  const images = list.filter(isInlineImage);
  const files = list.filter((a) => !isInlineImage(a));
  return h('div', { class: 'attachments' },
    images.length ? h('div', { class: 'att-images' }, images.map(imageNode)) : null,
    files.length ? h('div', { class: 'att-files' }, files.map(fileChip)) : null);
}

function percent(loaded, total) {
  return total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
}

function noteFor(f) {
  if (f.state === 'uploading') return `${percent(f.loaded, f.size)}%`;
  if (f.state === 'done') return 'Uploaded';
  if (f.state === 'failed') return f.error || 'Not uploaded.';
  return f.note || 'Waiting…';
}

function uploadRow(f) {
  const img = /^image\//.test(f.type);
  const label = f.state === 'waiting' || f.state === 'uploading' ? `Cancel upload of ${f.name}` : `Remove ${f.name}`;
  return h('div', { class: `upload upload-${f.state}`, data: { upload: f.key } },
    h('span', { class: 'att-file-icon' }, fileIcon(f.state === 'done' ? 'check' : img ? 'image' : 'file', 18)),
    h('div', { class: 'upload-main' },
      h('div', { class: 'upload-line' },
        h('span', { class: 'upload-name' }, f.name),
        h('span', { class: 'upload-size' }, formatSize(f.size))),
      f.state === 'failed' ? null : h('progress', { class: 'upload-bar', max: f.size || 1, value: f.state === 'done' ? f.size : f.loaded || 0, aria: { label: `Uploading ${f.name}` } }),
      h('span', { class: `upload-note${f.state === 'failed' ? ' upload-error' : ''}` }, noteFor(f))),
    h('button', { type: 'button', class: 'icon-btn small', data: { cancelUpload: f.key }, aria: { label }, title: label }, icon('x', 16)));
}

/** A pending message's files with their progress, or null. */
export function pendingFiles(p) {
  if (!p.files?.length) return null;
  return h('div', { class: 'uploads' }, p.files.map(uploadRow));
}

/** What a pending (not failed) message says it is doing. */
export function pendingStatus(p) {
  return filesSettled(p) ? 'Sending…' : `Uploading ${p.files.length === 1 ? 'a file' : `${p.files.length} files`}…`;
}

/** Moves one upload's bar without re-rendering the pending list (progress events are many). */
export function updateProgress(root, { key, loaded, total }) {
  const row = root.querySelector(`.upload[data-upload="${CSS.escape(key)}"]`);
  if (!row) return;
  const bar = row.querySelector('progress');
  if (bar) { bar.max = total || 1; bar.value = loaded; }
  const note = row.querySelector('.upload-note');
  if (note) note.textContent = `${percent(loaded, total)}%`;
}
