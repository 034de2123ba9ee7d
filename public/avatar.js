// Avatar preparation in the browser: decode the chosen image, crop a centred
// square, resize it to 256x256 on a canvas and encode it as WebP (or PNG),
// staying under the contract's 512 KiB limit.

import { AVATAR_SIZE, AVATAR_MAX_BYTES } from './limits.js';

const ACCEPTED = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];

export const AVATAR_ACCEPT = ACCEPTED.join(',');

function decode(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => { URL.revokeObjectURL(url); resolve(img); };
    img.onerror = () => { URL.revokeObjectURL(url); reject(new Error('decode')); };
    img.src = url;
  });
}

function toBlob(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

/**
 * Turns a chosen file into a square 256 px image Blob (image/webp or image/png).
 * Throws an Error with a human message when the file is not a usable image.
 */
export async function prepareAvatar(file) {
  if (!file) throw new Error('Choose an image first.');
  if (file.type && !ACCEPTED.includes(file.type)) throw new Error('Choose a PNG, JPEG, WebP or GIF image.');
  let img;
  try { img = await decode(file); } catch { throw new Error('That file could not be read as an image.'); }
  const w = img.naturalWidth;
  const hgt = img.naturalHeight;
  if (!w || !hgt) throw new Error('That image is empty.');
  const side = Math.min(w, hgt);
  const canvas = document.createElement('canvas');
  canvas.width = AVATAR_SIZE;
  canvas.height = AVATAR_SIZE;
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(img, (w - side) / 2, (hgt - side) / 2, side, side, 0, 0, AVATAR_SIZE, AVATAR_SIZE);
  for (const q of [0.9, 0.75, 0.6]) {
    const webp = await toBlob(canvas, 'image/webp', q);
    if (webp && webp.type === 'image/webp' && webp.size <= AVATAR_MAX_BYTES) return webp;
  }
  const png = await toBlob(canvas, 'image/png');
  if (png && png.size <= AVATAR_MAX_BYTES) return png;
  throw new Error('That image is too large even after resizing.');
}
