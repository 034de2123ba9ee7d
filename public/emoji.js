// A small emoji picker for reactions: a modal grid (keyboard friendly, Escape
// closes) placed next to the button that opened it.

import { h } from './dom.js';
import { openDialog } from './dialogs.js';

// Each is 1-8 code points with no letters, digits, spaces or controls (contract §6).
export const EMOJI = [
  ['👍', 'thumbs up'], ['❤️', 'heart'], ['😂', 'laughing'], ['🎉', 'party'], ['😮', 'surprised'],
  ['😢', 'sad'], ['🙏', 'thank you'], ['👀', 'eyes'], ['🔥', 'fire'], ['✅', 'check'],
  ['👏', 'clap'], ['🚀', 'rocket'], ['💯', 'hundred'], ['🤔', 'thinking'], ['😄', 'smile'],
  ['🙌', 'raised hands'], ['👎', 'thumbs down'], ['😍', 'heart eyes'], ['🤝', 'handshake'], ['⭐', 'star'],
  ['☕', 'coffee'], ['🍕', 'pizza'], ['💡', 'idea'], ['❓', 'question'],
];

/** Opens the picker next to `anchor`; resolves with the chosen emoji or null. */
export function pickEmoji(anchor) {
  return new Promise((resolve) => {
    let chosen = null;
    const grid = h('div', { class: 'emoji-grid', role: 'group', aria: { label: 'Emoji' } });
    const buttons = EMOJI.map(([e, name]) => h('button', {
      type: 'button', class: 'emoji-btn', aria: { label: name }, title: name,
      onclick: () => { chosen = e; d.close(); },
    }, e));
    buttons.forEach((b) => grid.appendChild(b));
    grid.addEventListener('keydown', (ev) => {
      const i = buttons.indexOf(document.activeElement);
      if (i < 0) return;
      const cols = 6;
      const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[ev.key];
      if (!step) return;
      ev.preventDefault();
      buttons[(i + step + buttons.length) % buttons.length].focus();
    });
    const d = openDialog({ title: 'Add a reaction', content: grid, className: 'dlg-emoji', onClose: () => resolve(chosen) });
    if (anchor && window.innerWidth > 600) {
      const r = anchor.getBoundingClientRect();
      const dw = d.dialog.offsetWidth || 300;
      const dh = d.dialog.offsetHeight || 260;
      d.dialog.style.margin = '0';
      d.dialog.style.left = `${Math.max(8, Math.min(window.innerWidth - dw - 8, r.right - dw))}px`;
      d.dialog.style.top = `${Math.max(8, r.top - dh - 6 < 8 ? r.bottom + 6 : r.top - dh - 6)}px`;
    }
    buttons[0].focus();
  });
}
