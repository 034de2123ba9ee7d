// Browser notifications for this device (contract section 10): asking for
// permission, the service worker (/sw.js), the Web Push subscription and its
// id on the server (kept in localStorage so sign-out can remove it). Every
// outcome comes back as a sentence; when background push cannot work (not
// configured, no push service reachable) the page still notifies while open.

import { api, humanError } from './api.js';
import { state } from './state.js';

const SUBSCRIBE_TIMEOUT_MS = 20_000;
const key = (what) => `chat.push.${what}.${state.me?.username}`;

export const SENTENCES = {
  unsupported: 'This browser cannot show notifications.',
  denied: 'Notifications are blocked for this site. To turn them on, allow notifications in your browser\'s site settings (the icon next to the address), then reload the page.',
  dismissed: 'Notifications were not turned on. You can turn them on later from the bell in a room\'s header.',
  on: 'Notifications are on. You will be told about mentions and direct messages, even when this tab is closed.',
  pageOnly: 'Notifications are on while Chat is open in a tab.',
  off: 'Notifications are off on this device.',
};

function read(what) {
  try { return localStorage.getItem(key(what)); } catch { return null; }
}
function write(what, value) {
  try { if (value === null) localStorage.removeItem(key(what)); else localStorage.setItem(key(what), value); } catch { /* no storage */ }
}

/** 'unsupported' | 'default' | 'granted' | 'denied' */
export function permission() {
  return typeof Notification === 'function' ? Notification.permission : 'unsupported';
}

/** Did this person turn notifications on on this device? */
export const wantsNotifications = () => read('enabled') === '1' && permission() === 'granted';

/**
 * "Turn on": asks for permission, then subscribes to background push.
 * Resolves with { state: 'on' | 'page' | 'denied' | 'default' | 'unsupported', text }.
 */
export async function turnOn() {
  if (permission() === 'unsupported') return { state: 'unsupported', text: SENTENCES.unsupported };
  let perm = Notification.permission;
  if (perm === 'default') {
    try { perm = await Notification.requestPermission(); } catch { perm = Notification.permission; }
  }
  if (perm === 'denied') return { state: 'denied', text: SENTENCES.denied };
  if (perm !== 'granted') return { state: 'default', text: SENTENCES.dismissed };
  write('enabled', '1');
  const push = await subscribe();
  if (push.ok) return { state: 'on', text: SENTENCES.on };
  return { state: 'page', text: `${SENTENCES.pageOnly} ${push.text}` };
}

/** After sign-in: renews the subscription of someone who turned notifications on here. */
export async function resumePush() {
  if (!wantsNotifications()) return;
  await subscribe();
}

/** The registration of /sw.js, registering it if needed (null when unsupported or refused). */
export async function serviceWorker() {
  if (!('serviceWorker' in navigator)) return null;
  try {
    await navigator.serviceWorker.register('/sw.js');
    return await navigator.serviceWorker.ready;
  } catch {
    return null;
  }
}

/** Subscribes this browser and tells the server; resolves { ok } or { ok: false, text }. */
async function subscribe() {
  if (!('serviceWorker' in navigator) || typeof PushManager !== 'function') {
    return fail('This browser does not support background notifications.');
  }
  let publicKey;
  try {
    publicKey = (await api('GET', '/api/push/key')).public_key;
  } catch (e) {
    if (e.status === 404) return fail('Background notifications are not set up on this server.');
    return fail(`Background notifications could not be set up: ${humanError(e)}`);
  }
  const reg = await serviceWorker();
  if (!reg?.pushManager) return fail('Background notifications could not be set up: the browser refused the notification worker.');
  let sub = null;
  try {
    sub = await reg.pushManager.getSubscription();
    // A subscription made for another server key cannot receive our pushes.
    if (sub && !sameKey(sub.options?.applicationServerKey, publicKey)) { await sub.unsubscribe(); sub = null; }
    if (!sub) {
      sub = await withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(publicKey) }), SUBSCRIBE_TIMEOUT_MS);
    }
  } catch {
    return fail('Background notifications are unavailable: the browser could not reach its push service.');
  }
  const json = sub.toJSON();
  const body = { endpoint: json.endpoint, keys: { p256dh: json.keys?.p256dh, auth: json.keys?.auth } };
  try {
    const res = await api('POST', '/api/me/push-subscriptions', { body });
    const old = read('subscription');
    if (old && old !== res.id) api('DELETE', `/api/me/push-subscriptions/${encodeURIComponent(old)}`, { quietAuth: true }).catch(() => {});
    write('subscription', res.id);
    return { ok: true };
  } catch (e) {
    return fail(`Background notifications could not be set up: ${humanError(e)}`);
  }
}

/**
 * "Turn off" (or sign-out): removes this device's subscription from the
 * server and the browser. `forget`: also forget that it was wanted.
 */
export async function turnOff({ forget = true } = {}) {
  const id = read('subscription');
  write('subscription', null);
  if (forget) write('enabled', null);
  const work = (async () => {
    if (id) await api('DELETE', `/api/me/push-subscriptions/${encodeURIComponent(id)}`, { quietAuth: true }).catch(() => {});
    try {
      const reg = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration('/') : null;
      const sub = await reg?.pushManager?.getSubscription();
      if (sub) await sub.unsubscribe();
    } catch { /* nothing to undo */ }
  })();
  // Never hold up a sign-out on a dead network.
  await withTimeout(work, 3000).catch(() => {});
}

/** Is a background subscription recorded for this device? */
export const hasSubscription = () => !!read('subscription');

function fail(text) { return { ok: false, text }; }

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

function fromBase64Url(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function sameKey(buffer, publicKey) {
  if (!buffer) return false;
  const a = new Uint8Array(buffer);
  const b = fromBase64Url(publicKey);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
