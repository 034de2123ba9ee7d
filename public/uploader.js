// One file upload over XMLHttpRequest (fetch reports no upload progress):
// POST /api/rooms/{room}/attachments?name= with the raw bytes, authenticated
// by the session cookie. Reports progress, can be aborted, and settles with the
// Attachment or an ApiError (status 0: the network; code 'aborted': cancelled).

import { ApiError, enc, sentenceFor } from './api.js';

/** Starts uploading `blob` as `name`; returns { promise, abort }. */
export function uploadFile({ room, blob, name, type, onProgress = () => {} }) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', `/api/rooms/${enc(room)}/attachments?name=${enc(name)}`);
    xhr.setRequestHeader('Content-Type', type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : blob.size);
    xhr.onload = () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = null; }
      if (xhr.status === 201 && data && typeof data.id === 'string') { resolve(data); return; }
      const e = data?.error || {};
      const code = typeof e.code === 'string' ? e.code : codeFor(xhr.status);
      const retry = Number(xhr.getResponseHeader('Retry-After')) || 0;
      reject(new ApiError(xhr.status, code, typeof e.message === 'string' && e.message ? e.message : sentenceFor(code), retry * 1000));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', sentenceFor('network')));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
    xhr.send(blob);
  });
  return { promise, abort: () => xhr.abort() };
}

function codeFor(status) {
  return { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 413: 'too_large', 429: 'rate_limited' }[status]
    || (status >= 500 ? 'internal' : 'bad_request');
}
