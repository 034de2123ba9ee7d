// A cache of public profiles (display name, colour, avatar) fetched on demand
// and kept fresh by `profile` events, so every place that shows a person agrees.

import { api, enc } from './api.js';
import { emit, state } from './state.js';

const cache = new Map();
const inflight = new Map();

/** The cached profile of `username`, or null (and starts fetching it). */
export function profileOf(username) {
  const p = cache.get(username);
  if (p) return p;
  fetchProfile(username).catch(() => {});
  return null;
}

/** Resolves with the profile of `username` (fetched once, then cached). */
export function fetchProfile(username, force = false) {
  if (!force && cache.has(username)) return Promise.resolve(cache.get(username));
  if (inflight.has(username)) return inflight.get(username);
  const req = api('GET', `/api/users/${enc(username)}`)
    .then((p) => { updateProfile(p); return p; })
    .catch((e) => {
      // Remember the miss (e.g. a removed account) so views do not ask again and again.
      if (!cache.has(username) && e.status === 404) cache.set(username, { username, display_name: username });
      throw e;
    })
    .finally(() => inflight.delete(username));
  inflight.set(username, req);
  return req;
}

/** Stores a newer profile and tells every view showing that person. */
export function updateProfile(p) {
  if (!p || typeof p.username !== 'string') return;
  cache.set(p.username, p);
  if (state.me && p.username === state.me.username) state.me = p;
  emit('profile', p);
}

export function displayName(username) {
  return profileOf(username)?.display_name || username;
}

export function avatarUrl(username) {
  return profileOf(username)?.avatar_url || `/api/users/${enc(username)}/avatar`;
}
