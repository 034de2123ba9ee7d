// The bell in a room's header: a menu of the notification level for this
// room (All messages / Mentions only / Nothing; PUT .../notifications) and,
// below it, turning this device's notifications on or off. The button's
// icon and name say the current level.

import { api, enc, humanError } from './api.js';
import { h, clear, icon, toast } from './dom.js';
import { permission, turnOn, turnOff, wantsNotifications, SENTENCES } from './push.js';
import { offerNotifications, showResult } from './pushprompt.js';

export const LEVELS = [
  { level: 'all', label: 'All messages', icon: 'bell' },
  { level: 'mentions', label: 'Mentions only', icon: 'at' },
  { level: 'none', label: 'Nothing', icon: 'bell-off' },
];
const labelOf = (level) => LEVELS.find((l) => l.level === level)?.label || 'Mentions only';

let seq = 0;

/** Builds the bell of room `name`; `render()` shows store.notify. */
export function createNotifyMenu({ name, store }) {
  const id = `notify-menu-${++seq}`;
  const glyph = h('span', { class: 'notify-glyph' });
  const btn = h('button', { type: 'button', class: 'icon-btn notify-btn', aria: { haspopup: 'menu', expanded: 'false', controls: id } }, glyph);
  const menu = h('div', { class: 'notify-menu', id, role: 'menu', aria: { label: 'Notifications for this room' }, hidden: true });
  const el = h('div', { class: 'notify-wrap' }, btn, menu);
  let busy = false;

  function render() {
    const level = store.notify;
    clear(glyph).appendChild(icon(LEVELS.find((l) => l.level === level)?.icon || 'at'));
    const text = `Notifications: ${labelOf(level)}`;
    btn.setAttribute('aria-label', text);
    btn.title = text;
    btn.classList.toggle('muted-room', level === 'none');
  }

  function items() { return [...menu.querySelectorAll('[role^="menuitem"]')]; }

  function build() {
    clear(menu);
    menu.appendChild(h('p', { class: 'notify-head', role: 'presentation' }, 'Notify me about'));
    for (const l of LEVELS) {
      const on = store.notify === l.level;
      menu.appendChild(h('button', { type: 'button', role: 'menuitemradio', class: 'notify-item', tabindex: '-1', aria: { checked: String(on) }, data: { level: l.level } },
        h('span', { class: 'notify-check', 'aria-hidden': 'true' }, on ? '✓' : ''), h('span', {}, l.label)));
    }
    const perm = permission();
    if (perm !== 'unsupported') {
      menu.appendChild(h('div', { role: 'separator', class: 'notify-sep' }));
      const device = wantsNotifications() ? 'Turn off notifications on this device' : 'Turn on notifications on this device';
      menu.appendChild(h('button', { type: 'button', role: 'menuitem', class: 'notify-item', tabindex: '-1', data: { device: wantsNotifications() ? 'off' : 'on' } },
        h('span', { class: 'notify-check', 'aria-hidden': 'true' }), h('span', {}, device)));
    }
  }

  function open() {
    build();
    menu.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    const list = items();
    (list.find((x) => x.getAttribute('aria-checked') === 'true') || list[0])?.focus();
    document.addEventListener('pointerdown', outside, true);
  }

  function close(focusButton = true) {
    if (menu.hidden) return;
    menu.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (focusButton) btn.focus();
  }

  function outside(e) { if (!el.contains(e.target)) close(false); }

  async function choose(level) {
    close();
    if (busy || level === store.notify) return;
    busy = true;
    try {
      const res = await api('PUT', `/api/rooms/${enc(name)}/notifications`, { body: { level } });
      store.setNotify(res?.level || level);
    } catch (e) {
      toast(`The notification setting could not be changed. ${humanError(e)}`, 'error');
    } finally {
      busy = false;
    }
  }

  async function device(what) {
    close();
    if (what === 'off') { await turnOff(); showResult(SENTENCES.off); return; }
    const result = await turnOn().catch(() => ({ text: 'Notifications could not be turned on. Please try again.' }));
    showResult(result.text);
  }

  btn.addEventListener('click', () => {
    if (menu.hidden) {
      open();
      // Opening the menu shows interest: the one-time offer may appear.
      offerNotifications();
    } else close();
  });
  menu.addEventListener('click', (e) => {
    const item = e.target.closest('[role^="menuitem"]');
    if (!item) return;
    if (item.dataset.level) choose(item.dataset.level);
    else if (item.dataset.device) device(item.dataset.device);
  });
  menu.addEventListener('keydown', (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      list[(i + (e.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length].focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      list[e.key === 'Home' ? 0 : list.length - 1].focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === 'Tab') {
      close(false);
    }
  });

  render();
  return { el, render, close };
}
