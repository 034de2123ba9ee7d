// Same-origin HTTP calls to the API (the HttpOnly session cookie authenticates
// them) and the one place that turns any failure into a sentence a person can read.

/** An API failure: `code` from the contract, `message` always a human sentence. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfterMs = 0) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

const SENTENCES = {
  bad_request: 'That request was not accepted. Please check what you entered.',
  unauthorized: 'Your session has ended. Please sign in again.',
  invalid_credentials: 'That username and password do not match.',
  forbidden: 'You are not allowed to do that.',
  bad_origin: 'This page is not allowed to make that request. Reload and try again.',
  banned: 'You are banned from this room.',
  blocked: 'You cannot message this person: one of you has blocked the other.',
  not_found: 'That could not be found.',
  conflict: 'That conflicts with something that already exists.',
  username_taken: 'That username is already taken.',
  room_exists: 'A room with that name already exists.',
  owner_cannot_leave: 'The owner cannot leave the room; delete it instead.',
  too_large: 'That is too large.',
  too_long: 'That is too long.',
  unsupported_media_type: 'That file type is not supported. Use a PNG, JPEG, WebP or GIF image.',
  rate_limited: 'You are going too fast. Please wait a moment and try again.',
  internal: 'Something went wrong on our side. Please try again.',
  unavailable: 'The service is briefly unavailable. Please try again.',
  network: 'Could not reach the server. Check your connection and try again.',
};

/** A human sentence for an error code (used when a server message is missing). */
export function sentenceFor(code) {
  return SENTENCES[code] || SENTENCES.internal;
}

/** A human sentence for anything thrown. */
export function humanError(err) {
  if (err instanceof ApiError) return err.message;
  return SENTENCES.internal;
}

let onUnauthorized = () => {};
/** Registers what happens when any call reports the session is gone. */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/**
 * Calls the API. `body` is sent as JSON unless `raw` (a Blob) is given with its
 * `contentType`. Resolves with the parsed JSON (or null for 204).
 */
export async function api(method, path, { body, raw, contentType, quietAuth = false } = {}) {
  const init = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
  if (raw !== undefined) {
    init.body = raw;
    init.headers['Content-Type'] = contentType;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', SENTENCES.network);
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (resp.ok) return data;
  const e = data && typeof data === 'object' && data.error ? data.error : {};
  const code = typeof e.code === 'string' ? e.code : codeForStatus(resp.status);
  const message = typeof e.message === 'string' && e.message ? e.message : sentenceFor(code);
  const retry = Number(resp.headers.get('Retry-After')) || 0;
  const err = new ApiError(resp.status, code, message, retry * 1000);
  if (resp.status === 401 && code === 'unauthorized' && !quietAuth) onUnauthorized(err);
  throw err;
}

function codeForStatus(status) {
  return { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found',
    409: 'conflict', 413: 'too_large', 415: 'unsupported_media_type', 429: 'rate_limited',
    503: 'unavailable' }[status] || 'internal';
}

export const enc = encodeURIComponent;
