// Modal dialogs on the native <dialog> element (showModal traps focus and
// Escape closes it); focus goes back to where it was. Also a confirm() helper.

import { h, iconButton } from './dom.js';

let seq = 0;

/**
 * Opens a modal. `content` is a node or array of nodes; returns { dialog, close }.
 * onClose runs once, however it was closed.
 */
export function openDialog({ title, content, className = '', onClose, describedBy } = {}) {
  const id = `dlg-title-${++seq}`;
  const returnTo = document.activeElement;
  const dialog = h('dialog', { class: `dlg ${className}`, aria: { labelledby: id, describedby: describedBy } },
    h('div', { class: 'dlg-head' },
      h('h2', { id, class: 'dlg-title' }, title),
      iconButton('x', 'Close', () => close())),
    h('div', { class: 'dlg-body' }, content));
  let closed = false;
  function close(value) {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    if (onClose) onClose(value);
    if (returnTo && returnTo.isConnected && typeof returnTo.focus === 'function') returnTo.focus();
  }
  dialog.addEventListener('close', () => close());
  // showModal makes the page inert, but Tab could still leave for the browser's own UI: wrap it.
  dialog.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const items = [...dialog.querySelectorAll('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])')]
      .filter((el) => !el.disabled && el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden');
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  dialog.addEventListener('mousedown', (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
    if (!inside) close();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return { dialog, close };
}

/** Asks a yes/no question; resolves true when confirmed. */
export function confirmDialog({ title, text, confirmLabel = 'OK', danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const pid = `dlg-text-${++seq}`;
    const cancel = h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, 'Cancel');
    const ok = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', onclick: () => { answer = true; d.close(); } }, confirmLabel);
    const d = openDialog({
      title, className: 'dlg-small', describedBy: pid,
      content: [h('p', { id: pid }, text), h('div', { class: 'dlg-actions' }, cancel, ok)],
      onClose: () => resolve(answer),
    });
    ok.focus();
  });
}

/** Shows an error sentence inside a form's alert area (or clears it). */
export function formError(el, text) {
  el.textContent = text || '';
  el.hidden = !text;
}
