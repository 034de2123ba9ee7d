// The `@` suggestions under the composer: a listbox of the room's members
// (avatar, display name, @username) that follows what is typed after an @.
// The textarea keeps focus and its textbox role (tests and screen readers
// find it by that); it points at the list with aria-controls and at the
// active option with aria-activedescendant. Up/Down move, Enter or Tab
// picks, Escape closes; a click picks too.

import { h, clear } from './dom.js';
import { mentionQuery, matchMembers, insertMention } from './mentions.js';

let seq = 0;

/**
 * input: the textarea; people(): [{ username, display_name, avatar, online }];
 * allowRoom(): may I use @room; me: my username; onChange(): the text changed.
 */
export function createMentionPicker({ input, people, allowRoom, me, onChange }) {
  const id = `mention-list-${++seq}`;
  const list = h('ul', { class: 'mention-list', id, role: 'listbox', aria: { label: 'People to mention' }, hidden: true });
  const status = h('span', { class: 'sr-only', role: 'status' });
  let items = [];
  let active = 0;
  let at = null; // { start, query } of the @word being completed
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-haspopup', 'listbox');

  const isOpen = () => !list.hidden;

  function close() {
    if (!isOpen()) return;
    list.hidden = true;
    at = null;
    items = [];
    input.removeAttribute('aria-controls');
    input.removeAttribute('aria-activedescendant');
    status.textContent = '';
  }

  function optionId(i) { return `${id}-${i}`; }

  function render() {
    clear(list);
    items.forEach((p, i) => {
      const opt = h('li', { class: `mention-option${p.room ? ' mention-room' : ''}`, id: optionId(i), role: 'option', aria: { selected: String(i === active) }, data: { index: i } },
        p.room
          ? h('span', { class: 'mention-room-icon', 'aria-hidden': 'true' }, '@')
          : h('img', { class: 'avatar', alt: '', width: 24, height: 24, src: p.avatar, loading: 'lazy' }),
        h('span', { class: 'mention-name' }, p.room ? '@room' : p.display_name || p.username),
        h('span', { class: 'mention-user' }, p.room ? p.display_name : `@${p.username}`));
      list.appendChild(opt);
    });
    input.setAttribute('aria-activedescendant', optionId(active));
    list.children[active]?.scrollIntoView({ block: 'nearest' });
  }

  /** Looks at the text around the caret: opens, filters or closes the list. */
  function update() {
    const q = input.selectionStart === input.selectionEnd ? mentionQuery(input.value, input.selectionStart) : null;
    if (!q) { close(); return; }
    const found = matchMembers(people(), q.query, { me, allowRoom: allowRoom() });
    if (!found.length) { close(); return; }
    const same = at && at.start === q.start && items.length === found.length && items.every((p, i) => p.username === found[i].username);
    at = q;
    if (!same) active = 0;
    items = found;
    list.hidden = false;
    input.setAttribute('aria-controls', id);
    status.textContent = `${found.length} suggestion${found.length === 1 ? '' : 's'}. Up and down to choose, Enter to pick.`;
    render();
  }

  function pick(i) {
    const p = items[i];
    if (!p || !at) return;
    const { text, caret } = insertMention(input.value, at.start, input.selectionStart, p.username);
    input.value = text;
    input.setSelectionRange(caret, caret);
    close();
    input.focus();
    onChange();
  }

  /** The composer asks first on every key; true when the list used it. */
  function keydown(e) {
    if (!isOpen() || e.isComposing) return false;
    const n = items.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      active = (active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      render();
    } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      pick(active);
    } else if (e.key === 'Escape') {
      close();
    } else {
      return false;
    }
    e.preventDefault();
    // Escape here only closes the list: reply or edit mode stays.
    e.stopPropagation();
    return true;
  }

  // Keep the focus in the textarea while clicking an option.
  list.addEventListener('mousedown', (e) => e.preventDefault());
  list.addEventListener('click', (e) => {
    const opt = e.target.closest('.mention-option');
    if (opt) pick(Number(opt.dataset.index));
  });
  input.addEventListener('input', update);
  input.addEventListener('click', update);
  input.addEventListener('keyup', (e) => { if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') update(); });
  input.addEventListener('blur', close);

  // A profile arrived (display names, avatars): redraw an open list.
  const refresh = () => { if (isOpen()) update(); };
  return { el: h('div', { class: 'mention-pop' }, list, status), keydown, close, isOpen, refresh };
}
