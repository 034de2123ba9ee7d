// Message actions: one shared toolbar (react, reply, edit, delete) that moves
// to the message under the pointer or holding focus, showing only the actions
// the person may take, and the "active" message whose controls are in the tab
// order (see render.js). The log tells it when it replaces or removes a node.

import { h, iconButton } from './dom.js';
import { pickEmoji } from './emoji.js';
import { confirmDialog } from './dialogs.js';
import { isAdmin } from './admin.js';
import { react, deleteMessage } from './rooms.js';

/** Builds the toolbar of room `name`; `onReply(m)` and `onEdit(m)` go to the composer. */
export function createToolbar({ name, store, me, onReply, onEdit }) {
  const el = h('div', { class: 'msg-toolbar', role: 'toolbar', aria: { label: 'Message actions' } },
    iconButton('smile', 'Add reaction', () => act('react')),
    iconButton('reply', 'Reply', () => act('reply')),
    iconButton('edit', 'Edit', () => act('edit')),
    iconButton('trash', 'Delete', () => act('delete')));

  // The message whose controls are in the tab order.
  let active = null;
  function activate(node) {
    if (active === node) return;
    if (active) {
      active.classList.remove('active');
      for (const c of active.querySelectorAll('a, button')) c.tabIndex = -1;
    }
    active = node && node.isConnected ? node : null;
    if (active) {
      active.classList.add('active');
      for (const c of active.querySelectorAll('a, button')) c.tabIndex = 0;
    }
  }

  function attach(node) {
    const m = store.messages.get(Number(node.dataset.seq));
    if (!m || m.deleted) { el.remove(); return; }
    const [reactB, replyB, editB, delB] = el.children;
    reactB.hidden = false; replyB.hidden = false;
    editB.hidden = m.author !== me;
    delB.hidden = !(m.author === me || isAdmin(store.role));
    if (el.parentElement !== node) node.appendChild(el);
    for (const b of el.children) b.tabIndex = node === active ? 0 : -1;
  }

  function targetMsg() {
    const host = el.closest('.msg');
    return host ? store.messages.get(Number(host.dataset.seq)) : null;
  }

  async function act(kind) {
    const m = targetMsg();
    if (!m) return;
    if (kind === 'reply') onReply(m);
    else if (kind === 'edit') onEdit(m);
    else if (kind === 'react') {
      const host = el.parentElement;
      host.classList.add('picking');
      const emoji = await pickEmoji(el.children[0]);
      host.classList.remove('picking');
      if (emoji) react(name, m.seq, emoji, !(m.reactions[emoji] || []).includes(me));
    } else if (kind === 'delete') {
      const ok = await confirmDialog({ title: 'Delete message?', text: 'This message will be deleted for everyone. This cannot be undone.', confirmLabel: 'Delete', danger: true });
      if (ok) deleteMessage(name, m.seq);
    }
  }

  return {
    el,
    /** Follows the pointer and focus inside the log's message list. */
    bind(log, list) {
      log.addEventListener('focusout', (e) => { if (!log.contains(e.relatedTarget)) activate(null); });
      log.addEventListener('focusin', (e) => { if (e.target === log) activate(null); });
      list.addEventListener('mouseover', (e) => {
        const node = e.target.closest('.msg');
        if (node && el.parentElement !== node && !el.contains(document.activeElement)) attach(node);
      });
      list.addEventListener('focusin', (e) => {
        const node = e.target.closest('.msg');
        if (!node) return;
        activate(node);
        attach(node);
      });
    },
    /** The role changed: show the actions allowed now. */
    refresh() { if (el.parentElement) attach(el.parentElement); },
    /** `node` is about to be removed. */
    forget(node) {
      if (el.parentElement === node) el.remove();
      if (active === node) activate(null);
    },
    /** Puts `next` in the place of `node`, keeping the toolbar, the active message and focus. */
    replace(node, next) {
      const hadToolbar = el.parentElement === node;
      const focusEl = document.activeElement;
      const hadFocus = node.contains(focusEl);
      const wasActive = active === node;
      node.replaceWith(next);
      if (wasActive) { active = null; activate(next); }
      if (hadToolbar) attach(next);
      if (hadFocus) (el.contains(focusEl) ? focusEl : next).focus({ preventScroll: true });
    },
  };
}
