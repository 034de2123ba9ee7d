// Pure helpers for attachments, shared by the composer, the upload queue, the
// outbox and the renderer (no DOM, no network, so node can test them): sizes
// for people, the checks the server would make before anything is uploaded,
// a file name the server accepts, sentences for refusals, the state of a
// message's files and the size an image is shown at.

import { ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_MESSAGE, ATTACHMENT_NAME_MAX } from './limits.js';

const UNITS = ['KiB', 'MiB', 'GiB'];

/** "512 bytes", "1.5 KiB", "10 MiB": binary units, as the limits are stated. */
export function formatSize(bytes) {
  const n = Math.max(0, Math.floor(Number(bytes) || 0));
  if (n < 1024) return n === 1 ? '1 byte' : `${n} bytes`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  // One decimal under 10 (1.5 KiB), whole numbers above (512 KiB); never "10.0".
  const shown = v < 10 ? Math.round(v * 10) / 10 : Math.round(v);
  return `${shown} ${UNITS[i]}`;
}

export const MAX_SIZE_TEXT = formatSize(ATTACHMENT_MAX_BYTES);

/**
 * A name the server accepts (1-128 code points, no `/`, `\` or control
 * characters): those become `_`, and a long name keeps its extension.
 */
export function uploadName(name) {
  let s = String(name ?? '').replace(/[/\\\p{Cc}]/gu, '_').trim();
  if (!s) s = 'file';
  const chars = [...s];
  if (chars.length <= ATTACHMENT_NAME_MAX) return s;
  const dot = s.lastIndexOf('.');
  const ext = dot > 0 ? [...s.slice(dot)] : [];
  const keep = ext.length && ext.length <= 16 ? ext : [];
  return chars.slice(0, ATTACHMENT_NAME_MAX - keep.length).join('') + keep.join('');
}

/**
 * Which of `files` (objects with name and size) may join `already` attached
 * ones; the rest get a sentence each (too many files: one sentence).
 */
export function checkFiles(already, files) {
  const accepted = [];
  const errors = [];
  let tooMany = false;
  for (const f of files) {
    if (f.size > ATTACHMENT_MAX_BYTES) errors.push(`${f.name} is larger than ${MAX_SIZE_TEXT}.`);
    else if (f.size === 0) errors.push(`${f.name} is empty.`);
    else if (already + accepted.length >= ATTACHMENTS_PER_MESSAGE) tooMany = true;
    else accepted.push(f);
  }
  if (tooMany) errors.push(`You can attach at most ${ATTACHMENTS_PER_MESSAGE} files per message.`);
  return { accepted, errors };
}

/** Whole seconds to wait, for a sentence ("1 second", "12 seconds"). */
export function seconds(ms) {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s === 1 ? '1 second' : `${s} seconds`;
}

/** Why the upload of `name` was refused, as a sentence (never a raw code). */
export function uploadRefusal(name, err) {
  switch (err?.code) {
    case 'too_large': return `${name} is larger than ${MAX_SIZE_TEXT}.`;
    case 'bad_request': return `${name} was not accepted: it is empty or its name is not allowed.`;
    case 'forbidden': case 'not_found': case 'banned': return `You are not allowed to share files in this room, so ${name} was not uploaded.`;
    case 'blocked': return `You cannot share files in this conversation, so ${name} was not uploaded.`;
    case 'unauthorized': return 'Your session has ended. Please sign in again.';
    case 'lost': return `${name} is no longer available on this device; attach it again.`;
    default: return `${name} could not be uploaded: something went wrong on our side.`;
  }
}

/** What a waiting file shows while it waits (`waitMs` for the upload rate limit). */
export function waitingNote(reason, waitMs = 0) {
  if (reason === 'rate_limited') return `Too many uploads at once: trying again in ${seconds(waitMs)}.`;
  if (reason === 'network') return 'Waiting for the connection…';
  return 'Waiting…';
}

// ---- a pending message's files: [{ key, name, size, type, state, attachment, error }] ----
// state: 'waiting' (to upload) | 'uploading' | 'done' (attachment set) | 'failed' (error set)

/** True when no file of `p` is still to be uploaded (also when it has none). */
export function filesSettled(p) {
  return !p.files || p.files.every((f) => f.state === 'done' || f.state === 'failed');
}

/** The ids of `p`'s uploaded files, in the order they were attached. */
export function attachmentIds(p) {
  return (p.files || []).filter((f) => f.state === 'done' && f.attachment).map((f) => f.attachment.id);
}

/** The files as saved with the outbox: an upload in flight is waiting again after a reload. */
export function persistFiles(files) {
  if (!Array.isArray(files) || !files.length) return undefined;
  return files.map(({ key, name, size, type, state, attachment, error }) => ({
    key, name, size, type, state: state === 'uploading' ? 'waiting' : state, attachment, error,
  }));
}

/** The saved files of an outbox entry, checked (anything malformed is dropped). */
export function restoreFiles(files) {
  if (!Array.isArray(files)) return undefined;
  const ok = files.filter((f) => f && typeof f.key === 'string' && typeof f.name === 'string' && Number.isFinite(f.size))
    .map((f) => ({
      key: f.key, name: f.name, size: f.size, type: typeof f.type === 'string' ? f.type : '',
      state: f.state === 'done' && f.attachment?.id ? 'done' : f.state === 'failed' ? 'failed' : 'waiting',
      attachment: f.state === 'done' ? f.attachment : undefined,
      error: typeof f.error === 'string' ? f.error : undefined,
      loaded: 0,
    }));
  return ok.length ? ok : undefined;
}

/** The width and height an image of `w`x`h` is shown at: its ratio, within `maxW`x`maxH`, never enlarged. */
export function fitImage(w, h, maxW = 360, maxH = 300) {
  if (!(w > 0 && h > 0)) return { width: maxW, height: Math.round(maxW * 0.75) };
  const scale = Math.min(1, maxW / w, maxH / h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/** Is this attachment shown inline as an image? Only when the server measured it. */
export function isInlineImage(att) {
  return !!(att && att.image && att.image.width > 0 && att.image.height > 0);
}

/** A message's files in a few words, for previews of a message without text ("photo.png", "3 files"). */
export function attachmentSummary(list) {
  if (!list?.length) return '';
  return list.length === 1 ? list[0].name : `${list.length} files`;
}
