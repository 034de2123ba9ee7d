// The open room's message log (role="log"): renders the store's messages and
// pending ones, sticks to the bottom while the person is there, loads older
// pages near the top without a jump, offers "Jump to latest" / "New messages",
// marks the room read when its newest messages are in view, and moves between
// messages with the arrow keys.

import { h, clear, icon, toast } from './dom.js';
import { renderMessages, messageNode, pendingNode } from './render.js';
import { state } from './state.js';
import { loadOlder, markRead, setReadingCheck } from './rooms.js';
import { isDm, dmLabel } from './dms.js';

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 400;

/** Builds the log of room `name`; `toolbar` is the message actions (roomtoolbar.js). */
export function createRoomLog({ name, store, ctx, toolbar, onJump }) {
  const me = ctx.me;
  const top = h('div', { class: 'log-top' });
  const list = h('div', { class: 'msgs' });
  const pendingList = h('div', { class: 'pending-list' });
  const logHelp = h('p', { class: 'sr-only', id: `log-help-${name}` }, 'Use the up and down arrow keys to move between messages, then Tab to reach their actions.');
  const log = h('div', { class: 'log', role: 'log', aria: { live: 'polite', label: `Messages in #${name}`, relevant: 'additions', describedby: logHelp.id }, tabindex: '0' }, logHelp, top, list, pendingList);
  const jump = h('button', { type: 'button', class: 'jump-btn', hidden: true }, icon('down', 16), h('span', {}, 'Jump to latest'));
  const el = h('div', { class: 'log-wrap' }, log, jump);
  toolbar.bind(log, list);

  // ---- scrolling and reading ----
  const atBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
  function setJump(show, fresh = false) {
    jump.hidden = !show;
    jump.classList.toggle('has-new', fresh);
    jump.lastChild.textContent = fresh ? 'New messages' : 'Jump to latest';
  }
  function scrollToBottom() { log.scrollTop = log.scrollHeight; setJump(false); }
  const reading = () => state.current === name && document.visibilityState === 'visible' && document.hasFocus() && atBottom();
  setReadingCheck(reading);
  function readIfLooking() {
    if (store.loaded && reading()) markRead(name, Math.max(store.lastSeq, store.newestSeq(), store.room.last_seq || 0));
  }

  let scrollRaf = 0;
  log.addEventListener('scroll', () => {
    if (scrollRaf) return;
    scrollRaf = requestAnimationFrame(() => {
      scrollRaf = 0;
      if (atBottom()) { setJump(false); readIfLooking(); } else if (jump.hidden && log.scrollHeight - log.scrollTop - log.clientHeight > 600) setJump(true);
      if (log.scrollTop < NEAR_TOP_PX) older();
    });
  });
  jump.addEventListener('click', () => { scrollToBottom(); readIfLooking(); onJump(); });
  // The composer growing (files in its tray, more lines) shrinks the log: stay at the bottom if we were there.
  let stuck = true;
  log.addEventListener('scroll', () => { stuck = atBottom(); }, { passive: true });
  const resize = new ResizeObserver(() => { if (stuck) log.scrollTop = log.scrollHeight; });
  resize.observe(log);
  const onFocus = () => readIfLooking();
  window.addEventListener('focus', onFocus);
  document.addEventListener('visibilitychange', onFocus);

  // ---- paging ----
  function older() {
    if (store.olderCursor() === undefined) return;
    if (loadOlder(name)) renderTop();
  }

  function renderTop() {
    clear(top);
    if (!store.loaded) top.appendChild(h('div', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading messages…'));
    else if (store.loadingOlder) top.appendChild(h('div', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading older messages…'));
    else if (!store.hasMore && isDm(store.room)) {
      const peer = dmLabel(store);
      top.appendChild(h('div', { class: 'room-start' },
        h('div', { class: 'room-start-icon', 'aria-hidden': 'true' }, icon('lock', 28)),
        h('p', { class: 'room-start-title' }, peer),
        h('p', { class: 'muted' }, `This is the beginning of your direct messages with ${peer}. Only the two of you can see them.`)));
    } else if (!store.hasMore) {
      const room = store.room;
      top.appendChild(h('div', { class: 'room-start' },
        h('div', { class: 'room-start-icon', 'aria-hidden': 'true' }, icon(room.visibility === 'private' ? 'lock' : 'hash', 28)),
        h('p', { class: 'room-start-title' }, `Welcome to #${room.title || name}`),
        h('p', { class: 'muted' }, `This is the very beginning of #${name}.${room.topic ? ` ${room.topic}` : ''}`)));
    }
  }

  // ---- rendering messages ----
  const msgs = () => store.order.map((s) => store.messages.get(s));
  // Fill a tall screen: keep loading while there is no scrollbar yet.
  const fillScreen = () => { if (log.scrollHeight <= log.clientHeight + 10) older(); };

  function renderAll() {
    log.setAttribute('aria-busy', 'true');
    const t0 = performance.now();
    clear(list);
    list.appendChild(renderMessages(msgs(), null, ctx));
    renderPending();
    renderTop();
    scrollToBottom();
    log.removeAttribute('aria-busy');
    window.__lastRenderMs = performance.now() - t0; // read by the 1,000-message browser test
    readIfLooking();
    fillScreen();
  }

  function prepend(added) {
    log.setAttribute('aria-busy', 'true');
    if (added.length) {
      const oldFirstSeq = store.order[added.length];
      const oldFirst = oldFirstSeq !== undefined ? store.messages.get(oldFirstSeq) : null;
      const beforeHeight = log.scrollHeight;
      const beforeTop = log.scrollTop;
      // Re-render the old first message too: its grouping and day separator may change.
      const firstNode = list.querySelector('.msg');
      if (firstNode) {
        const sep = firstNode.previousElementSibling;
        if (sep && sep.classList.contains('day-sep')) sep.remove();
        toolbar.forget(firstNode);
        firstNode.remove();
      }
      const frag = renderMessages(oldFirst ? [...added, oldFirst] : added, null, ctx);
      list.insertBefore(frag, list.firstChild);
      renderTop();
      log.scrollTop = beforeTop + (log.scrollHeight - beforeHeight);
    } else {
      renderTop();
    }
    log.removeAttribute('aria-busy');
    fillScreen();
  }

  function append(m) {
    const stick = atBottom() || m.author === me;
    const prevSeq = store.order[store.order.length - 2];
    const prev = prevSeq !== undefined ? store.messages.get(prevSeq) : null;
    list.appendChild(renderMessages([m], prev, ctx));
    if (stick) scrollToBottom();
    else setJump(true, true);
    readIfLooking();
  }

  function replaceNode(m) {
    const node = list.querySelector(`.msg[data-seq="${m.seq}"]`);
    if (!node) return;
    const i = store.order.indexOf(m.seq);
    const prev = i > 0 ? store.messages.get(store.order[i - 1]) : null;
    toolbar.replace(node, messageNode(m, prev, ctx));
  }

  function update(m) {
    const stick = atBottom();
    replaceNode(m);
    // Replies quoting this message show its new text.
    for (const q of list.querySelectorAll(`.reply-quote[data-jump="${m.seq}"]`)) {
      const host = q.closest('.msg');
      const msg = host && store.messages.get(Number(host.dataset.seq));
      if (msg) replaceNode(msg);
    }
    if (stick) scrollToBottom();
  }

  function renderPending() {
    const stick = atBottom();
    clear(pendingList);
    for (const p of store.pending) if (p.state !== 'stored' || !store.messages.has(p.seq)) pendingList.appendChild(pendingNode(p, ctx));
    if (stick) scrollToBottom();
  }

  function jumpTo(seq) {
    const node = list.querySelector(`.msg[data-seq="${seq}"]`);
    if (!node) { toast('That message is further back in the history. Scroll up to load it.'); return; }
    node.scrollIntoView({ block: 'center', behavior: 'smooth' });
    node.classList.add('flash');
    setTimeout(() => node.classList.remove('flash'), 1600);
    node.focus({ preventScroll: true });
  }

  // Keyboard: arrows move between messages inside the log.
  log.addEventListener('keydown', (e) => {
    if (!['ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) return;
    if (e.target.closest('.msg-toolbar')) return;
    const nodes = [...list.querySelectorAll('.msg'), ...pendingList.querySelectorAll('.msg')];
    if (!nodes.length) return;
    const cur = e.target.closest('.msg');
    let i = cur ? nodes.indexOf(cur) : nodes.length;
    if (e.key === 'ArrowUp') i = Math.max(0, i - 1);
    else if (e.key === 'ArrowDown') i = Math.min(nodes.length - 1, i + 1);
    else if (e.key === 'Home') i = 0;
    else i = nodes.length - 1;
    e.preventDefault();
    nodes[i].focus();
  });

  return {
    el, renderAll, prepend, append, update, renderPending, renderTop, scrollToBottom, readIfLooking, jumpTo,
    destroy() {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onFocus);
      setReadingCheck(() => false);
      resize.disconnect();
    },
  };
}
