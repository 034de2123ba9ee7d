// The one-time offer to turn notifications on: a small card (never on page
// load; after the person first sends a message or opens a room's
// notification menu) with "Turn on" and "Not now". Either answer is
// remembered, so it is offered once per person and browser; afterwards the
// bell menu is the way in. The outcome is said in a sentence in the card.

import { h, iconButton } from './dom.js';
import { state } from './state.js';
import { permission, turnOn, wantsNotifications } from './push.js';

let card = null;
let returnTo = null; // where the focus goes back to when the card closes
const askedKey = () => `chat.push.asked.${state.me?.username}`;

function asked() {
  try { return localStorage.getItem(askedKey()) === '1'; } catch { return true; }
}
function remember() {
  try { localStorage.setItem(askedKey(), '1'); } catch { /* asked again next time */ }
}

/** Offers notifications unless already answered, already on, blocked in the browser, or unsupported. */
export function offerNotifications() {
  const perm = permission();
  if (card || !state.me || asked() || perm === 'denied' || perm === 'unsupported' || wantsNotifications()) return;
  returnTo = document.activeElement;
  const text = h('p', { class: 'push-text', id: 'push-prompt-text' }, 'Get a notification when someone mentions you or sends you a direct message?');
  const on = h('button', { type: 'button', class: 'btn btn-primary btn-small' }, 'Turn on');
  const later = h('button', { type: 'button', class: 'btn btn-small' }, 'Not now');
  const actions = h('div', { class: 'push-actions' }, later, on);
  card = h('section', { class: 'push-prompt', role: 'region', aria: { label: 'Notifications', describedby: text.id } },
    h('div', { class: 'push-head' }, h('h2', { class: 'push-title' }, 'Turn on notifications?'), iconButton('x', 'Dismiss', () => close(true), 'icon-btn small')),
    text, actions);
  later.addEventListener('click', () => close(true));
  on.addEventListener('click', async () => {
    remember();
    on.disabled = later.disabled = true;
    on.textContent = 'Turning on…';
    let result;
    try { result = await turnOn(); } catch { result = { text: 'Notifications could not be turned on. Please try again from the bell in a room\'s header.' }; }
    showResult(result.text);
  });
  document.body.appendChild(card);
}

/** The card says how it went (also used by the bell menu's "Turn on"). */
export function showResult(sentence) {
  if (!card) {
    returnTo = document.activeElement;
    card = h('section', { class: 'push-prompt', role: 'region', aria: { label: 'Notifications' } });
    document.body.appendChild(card);
  }
  const ok = h('button', { type: 'button', class: 'btn btn-small' }, 'OK');
  ok.addEventListener('click', () => close(false));
  card.replaceChildren(
    h('div', { class: 'push-head' }, h('h2', { class: 'push-title' }, 'Notifications'), iconButton('x', 'Close', () => close(false), 'icon-btn small')),
    h('p', { class: 'push-text', role: 'status' }, sentence),
    h('div', { class: 'push-actions' }, ok));
  ok.focus();
}

function close(dismissed) {
  if (dismissed) remember();
  const hadFocus = card?.contains(document.activeElement);
  card?.remove();
  card = null;
  if (hadFocus && returnTo?.isConnected) returnTo.focus();
}

/** Sign-out: the card belongs to the person who leaves. */
export function closePrompt() { card?.remove(); card = null; }
