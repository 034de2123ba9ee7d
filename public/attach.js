// Choosing files for the next message: the attach button (a hidden file
// input), files dropped on the room, images pasted into the composer. Chosen
// files wait in a tray above the text box (a preview, the name, the size and
// a remove button each) until the message is sent; files the server would
// refuse (too large, empty, one too many) are turned away here with a sentence.

import { h, icon } from './dom.js';
import { checkFiles, formatSize } from './files.js';
import { fileIcon } from './attachments.js';

/** onError(sentence|''); onChange(): the tray changed. */
export function createAttachTray({ onError = () => {}, onChange = () => {} } = {}) {
  /** [{ file, url }] in the order chosen; `url` previews an image. */
  let chosen = [];
  const input = h('input', { type: 'file', multiple: true, class: 'attach-input', tabindex: '-1', aria: { hidden: 'true' } });
  const button = h('button', {
    type: 'button', class: 'attach-btn', aria: { label: 'Attach files' }, title: 'Attach files (you can also drop or paste them)',
    onclick: () => input.click(),
  }, fileIcon('paperclip', 18));
  const tray = h('ul', { class: 'attach-tray', aria: { label: 'Files to send' }, hidden: true });

  input.addEventListener('change', () => {
    add([...input.files]);
    input.value = ''; // choosing the same file again still fires `change`
  });

  function render() {
    tray.replaceChildren(...chosen.map((c, i) => {
      const { file } = c;
      const preview = c.url
        ? h('img', { class: 'tray-thumb', src: c.url, alt: '', width: 40, height: 40 })
        : h('span', { class: 'tray-thumb tray-icon' }, fileIcon('file', 20));
      return h('li', { class: 'tray-item', title: `${file.name} (${formatSize(file.size)})` }, preview,
        h('span', { class: 'tray-meta' }, h('span', { class: 'tray-name' }, file.name), h('span', { class: 'tray-size' }, formatSize(file.size))),
        h('button', { type: 'button', class: 'icon-btn small', aria: { label: `Remove ${file.name}` }, title: `Remove ${file.name}`, onclick: () => remove(i) }, icon('x', 14)));
    }));
    tray.hidden = !chosen.length;
    onChange();
  }

  /** Adds files (a FileList or an array); refused ones are explained. */
  function add(list) {
    const { accepted, errors } = checkFiles(chosen.length, [...list]);
    for (const file of accepted) {
      const url = /^image\/(png|jpeg|gif|webp)$/.test(file.type) ? URL.createObjectURL(file) : '';
      chosen.push({ file, url });
    }
    onError(errors.join(' '));
    if (accepted.length) render();
  }

  function remove(i) {
    const [c] = chosen.splice(i, 1);
    if (c?.url) URL.revokeObjectURL(c.url);
    render();
    button.focus();
  }

  /** The chosen files, for sending; the tray empties. */
  function take() {
    const files = chosen.map((c) => c.file);
    for (const c of chosen) if (c.url) URL.revokeObjectURL(c.url);
    chosen = [];
    render();
    return files;
  }

  /** A paste with files (an image copied to the clipboard) attaches them instead of pasting text. */
  function onPaste(e) {
    const files = [...(e.clipboardData?.files || [])];
    if (!files.length) return;
    e.preventDefault();
    add(files);
  }

  return { button, input, tray, add, take, onPaste, count: () => chosen.length };
}

/** Files dragged over `target` show a drop hint; dropped ones go to `add(files)`. */
export function enableDrop(target, add) {
  let depth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  const done = () => { depth = 0; target.classList.remove('drop-active'); };
  target.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    target.classList.add('drop-active');
  });
  target.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  target.addEventListener('dragleave', (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) done();
  });
  target.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    done();
    if (e.dataTransfer.files.length) add([...e.dataTransfer.files]);
  });
}
