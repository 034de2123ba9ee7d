// The message composer: a growing textarea (Enter sends, Shift+Enter adds a
// line, Up on an empty box edits your last message, Escape cancels), reply and
// edit modes, a length counter near the limit, and throttled typing signals.
// Files to send with the message wait in its tray (attach.js); `@` opens the
// member suggestions (mentionpicker.js), which see each key first.

import { h, icon, iconButton } from './dom.js';
import { preview } from './format.js';
import { displayName } from './profiles.js';
import { charCount, MESSAGE_MAX } from './limits.js';
import { createAttachTray } from './attach.js';
import { attachmentSummary } from './files.js';
import { createMentionPicker } from './mentionpicker.js';

const TYPING_EVERY_MS = 2100;
const COUNTER_FROM = MESSAGE_MAX - 500;

/**
 * opts: roomName, label (for the textarea), onSend(text, replyTo, files),
 * onEdit(seq, text), onTyping(), lastOwn() -> message|null,
 * people() -> members to suggest, allowRoom() -> may @room be offered, me
 */
export function createComposer(opts) {
  let mode = null; // { kind: 'reply'|'edit', msg }
  let lastTyping = 0;
  const draftKey = `chat.draft.${opts.roomName}`;

  const ctxText = h('span', { class: 'ctx-text' });
  const ctxIcon = h('span', { class: 'ctx-icon' });
  const ctxBar = h('div', { class: 'composer-ctx', hidden: true }, ctxIcon, ctxText,
    iconButton('x', 'Cancel', () => cancelMode(), 'icon-btn small'));
  const input = h('textarea', {
    class: 'composer-input', rows: 1, aria: { label: opts.label }, placeholder: `${opts.label}`,
    autocomplete: 'off', spellcheck: 'true', enterkeyhint: 'send',
  });
  const counter = h('span', { class: 'counter', aria: { live: 'polite' }, hidden: true });
  const sendBtn = h('button', { type: 'submit', class: 'send-btn', aria: { label: 'Send message' }, title: 'Send (Enter)' }, icon('send', 18));
  const error = h('p', { class: 'composer-error', role: 'alert', hidden: true });
  const attach = createAttachTray({ onError: (text) => showError(text) });
  input.addEventListener('paste', attach.onPaste);
  const picker = createMentionPicker({
    input, me: opts.me, people: opts.people || (() => []), allowRoom: opts.allowRoom || (() => false),
    onChange: () => { grow(); updateCounter(); saveDraft(); },
  });
  const form = h('form', { class: 'composer', aria: { label: 'Write a message' } },
    picker.el, ctxBar, attach.tray, attach.input,
    h('div', { class: 'composer-box' }, attach.button, input, counter, sendBtn),
    error,
    h('p', { class: 'composer-help', id: `help-${opts.roomName}` }, h('kbd', {}, 'Enter'), ' to send · ', h('kbd', {}, 'Shift'), '+', h('kbd', {}, 'Enter'), ' for a new line'));

  try { input.value = sessionStorage.getItem(draftKey) || ''; } catch { /* no storage */ }

  function grow() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  }

  function updateCounter() {
    const n = charCount(input.value);
    counter.hidden = n < COUNTER_FROM;
    counter.textContent = String(MESSAGE_MAX - n);
    counter.classList.toggle('over', n > MESSAGE_MAX);
    counter.setAttribute('aria-label', n > MESSAGE_MAX ? `${n - MESSAGE_MAX} characters over the limit` : `${MESSAGE_MAX - n} characters left`);
  }

  function showError(text) { error.textContent = text || ''; error.hidden = !text; }

  function setMode(m) {
    mode = m;
    ctxBar.hidden = !m;
    form.classList.toggle('editing', m?.kind === 'edit');
    if (!m) return;
    const who = displayName(m.msg.author);
    ctxIcon.replaceChildren(icon(m.kind === 'edit' ? 'edit' : 'reply', 14));
    ctxText.textContent = m.kind === 'edit'
      ? 'Editing your message — Enter to save, Escape to cancel'
      : `Replying to ${who}: ${preview(m.msg.text, 80) || attachmentSummary(m.msg.attachments)}`;
  }

  function cancelMode() {
    const wasEdit = mode?.kind === 'edit';
    setMode(null);
    if (wasEdit) input.value = '';
    grow(); updateCounter();
    input.focus();
  }

  function submit() {
    const text = input.value;
    const n = charCount(text);
    const withFiles = mode?.kind !== 'edit' && attach.count() > 0;
    if (!text.trim() && !withFiles) return;
    if (n > MESSAGE_MAX) { showError(`Messages can be at most ${MESSAGE_MAX} characters; this one has ${n}.`); return; }
    showError('');
    if (mode?.kind === 'edit') {
      if (text !== mode.msg.text && !opts.onEdit(mode.msg.seq, text)) return;
    } else {
      opts.onSend(text, mode?.kind === 'reply' ? mode.msg.seq : null, withFiles ? attach.take() : []);
      lastTyping = 0; // the others' indicator cleared when this arrived: signal afresh next time
    }
    input.value = '';
    picker.close();
    setMode(null);
    saveDraft();
    grow(); updateCounter();
  }

  function saveDraft() {
    try {
      if (input.value && mode?.kind !== 'edit') sessionStorage.setItem(draftKey, input.value);
      else sessionStorage.removeItem(draftKey);
    } catch { /* no storage */ }
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); input.focus(); });
  input.addEventListener('keydown', (e) => {
    if (picker.keydown(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && mode) {
      e.preventDefault();
      e.stopPropagation();
      cancelMode();
    } else if (e.key === 'ArrowUp' && !input.value && !mode) {
      const m = opts.lastOwn();
      if (m) { e.preventDefault(); startEdit(m); }
    }
  });
  input.addEventListener('input', () => {
    grow(); updateCounter(); saveDraft();
    if (error.textContent && charCount(input.value) <= MESSAGE_MAX) showError('');
    if (mode?.kind !== 'edit' && input.value.trim() && Date.now() - lastTyping > TYPING_EVERY_MS) {
      lastTyping = Date.now();
      opts.onTyping();
    }
  });

  function startEdit(m) {
    setMode({ kind: 'edit', msg: m });
    input.value = m.text;
    grow(); updateCounter();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  function setReply(m) {
    setMode({ kind: 'reply', msg: m });
    input.focus();
  }

  requestAnimationFrame(() => { grow(); updateCounter(); });

  return {
    el: form,
    input,
    focus: () => input.focus(),
    startEdit,
    setReply,
    addFiles: (files) => { attach.add(files); input.focus(); },
    setLabel(label) { input.setAttribute('aria-label', label); input.placeholder = label; },
    refreshMentions: () => picker.refresh(),
  };
}
