// Message search: a dialog (the sidebar's "Search messages", Ctrl+K or "/")
// that searches this room or all rooms as you type, shows results with the
// matched words marked (text nodes and <mark>, never HTML), and opens a
// result's room scrolled to the message.

import { api, enc, humanError } from './api.js';
import { h, icon } from './dom.js';
import { openDialog } from './dialogs.js';
import { rooms } from './rooms.js';
import { state } from './state.js';
import { displayName, avatarUrl } from './profiles.js';
import { isDm, dmLabel } from './dms.js';
import { queryWords, searchable, highlight, around } from './searchtext.js';

const TYPE_DELAY_MS = 250;
const when = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

let navigate = () => {};
let openNow = null;

/** Wires the shortcuts; `nav` opens a path in the app. */
export function initSearch(nav) {
  navigate = nav;
  document.addEventListener('keydown', (e) => {
    if (!state.me || document.querySelector('dialog[open]')) return;
    const typing = e.target.closest?.('input, textarea, [contenteditable="true"]');
    const ctrlK = (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k';
    if (ctrlK || (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey)) {
      e.preventDefault();
      openSearch();
    }
  });
}

function roomLabel(name) {
  const store = rooms.get(name)?.store;
  if (store && isDm(store.room)) return dmLabel(store);
  return `#${name}`;
}

/** Opens the search dialog (scope: this room when one is open). */
export function openSearch() {
  if (openNow) { openNow.input.focus(); return; }
  const here = state.current && rooms.has(state.current) ? state.current : null;
  const input = h('input', { type: 'search', class: 'search-input', autocomplete: 'off', spellcheck: 'false', maxlength: '200',
    placeholder: 'Search messages', aria: { label: 'Search messages', controls: 'search-results' } });
  const scope = h('select', { class: 'search-scope', aria: { label: 'Where to search' } },
    here ? h('option', { value: here }, `In ${roomLabel(here)}`) : null,
    h('option', { value: '' }, 'In all rooms and messages'));
  const status = h('p', { class: 'search-status', role: 'status', aria: { live: 'polite' } }, 'Type to search. Words match their start: "deploy" finds "deployed".');
  const list = h('ul', { class: 'search-results', id: 'search-results', aria: { label: 'Results' } });
  const more = h('button', { type: 'button', class: 'btn search-more', hidden: true }, 'Show older results');
  const { close } = openDialog({
    title: 'Search messages', className: 'search-dlg',
    content: [h('div', { class: 'search-bar' }, icon('search', 18), input, scope), status, list, more],
    onClose: () => { openNow = null; clearTimeout(timer); },
  });
  openNow = { input };

  let timer = null;
  let ticket = 0;
  let before = null; // paging within a room
  let shown = [];

  async function run(append = false) {
    const q = input.value;
    const room = scope.value;
    const mine = ++ticket;
    if (!q.trim()) { list.replaceChildren(); more.hidden = true; status.textContent = 'Type to search.'; return; }
    if (!searchable(q)) { list.replaceChildren(); more.hidden = true; status.textContent = 'Search for words: letters or digits, up to 200 characters.'; return; }
    status.textContent = 'Searching…';
    list.setAttribute('aria-busy', 'true');
    try {
      let hits;
      let hasMore = false;
      let partial = false;
      if (room) {
        const params = `q=${enc(q)}&limit=20${append && before ? `&before=${before}` : ''}`;
        const page = await api('GET', `/api/rooms/${enc(room)}/search?${params}`);
        hits = page.messages.map((message) => ({ room, message }));
        hasMore = page.has_more;
      } else {
        const page = await api('GET', `/api/search?q=${enc(q)}&limit=50`);
        hits = page.results;
        partial = page.partial;
      }
      if (mine !== ticket) return;
      shown = append ? shown.concat(hits) : hits;
      before = hits.length ? hits[hits.length - 1].message.seq : before;
      render(queryWords(q));
      more.hidden = !hasMore;
      const n = shown.length;
      status.textContent = n === 0
        ? `No messages match “${q.trim()}”${room ? ` in ${roomLabel(room)}` : ''}.`
        : `${n}${hasMore ? '+' : ''} message${n === 1 ? '' : 's'} found.${partial ? ' Some rooms did not answer, so results may be missing; try again in a moment.' : ''}`;
    } catch (err) {
      if (mine !== ticket) return;
      status.textContent = humanError(err);
    } finally {
      if (mine === ticket) list.removeAttribute('aria-busy');
    }
  }

  function render(words) {
    list.replaceChildren(...shown.map((hit, i) => {
      const m = hit.message;
      const text = h('span', { class: 'search-text' });
      for (const piece of highlight(around(m.text, words), words)) {
        text.append(piece.match ? h('mark', {}, piece.text) : document.createTextNode(piece.text));
      }
      if (!m.text && m.attachments?.length) text.append(`${m.attachments.length} file${m.attachments.length === 1 ? '' : 's'}`);
      const btn = h('button', { type: 'button', class: 'search-hit', data: { index: i } },
        h('img', { class: 'avatar', src: avatarUrl(m.author), alt: '', width: 32, height: 32 }),
        h('span', { class: 'search-main' },
          h('span', { class: 'search-meta' },
            h('strong', {}, displayName(m.author)),
            h('span', { class: 'search-room' }, roomLabel(hit.room)),
            h('time', { datetime: new Date(m.ts).toISOString() }, when.format(new Date(m.ts)))),
          text));
      btn.addEventListener('click', () => open(hit));
      return h('li', {}, btn);
    }));
  }

  function open(hit) {
    close();
    // The room at the message (app.js: ?seq=N, also when that room is open).
    navigate(`/rooms/${hit.room}?seq=${hit.message.seq}`);
  }

  input.addEventListener('input', () => { clearTimeout(timer); before = null; timer = setTimeout(() => run(), TYPE_DELAY_MS); });
  scope.addEventListener('change', () => { before = null; run(); });
  more.addEventListener('click', () => run(true));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(timer);
      // Enter on a fresh query searches; once results are shown it opens the first.
      if (shown.length && list.querySelector('.search-hit')) open(shown[0]); else run();
    } else if (e.key === 'Escape') {
      // A search box would only clear itself: Escape closes the search, as it does everywhere else.
      e.preventDefault();
      close();
    } else if (e.key === 'ArrowDown') {
      const first = list.querySelector('.search-hit');
      if (first) { e.preventDefault(); first.focus(); }
    }
  });
  list.addEventListener('keydown', (e) => {
    const items = [...list.querySelectorAll('.search-hit')];
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    if (e.key === 'ArrowDown' && i < items.length - 1) { e.preventDefault(); items[i + 1].focus(); }
    if (e.key === 'ArrowUp') { e.preventDefault(); (i === 0 ? input : items[i - 1]).focus(); }
  });
  input.focus();
}
