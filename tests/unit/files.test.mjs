// The attachment helpers of the web client (public/files.js) under node:
// sizes for people, the checks made before uploading, names the server
// accepts, refusals as sentences, the saved state of a message's files and
// the size an image is shown at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatSize, uploadName, checkFiles, uploadRefusal, waitingNote, filesSettled, attachmentIds,
  persistFiles, restoreFiles, fitImage, isInlineImage, attachmentSummary,
} from '../../public/files.js';

const MiB = 1024 * 1024;

test('sizes read as bytes, KiB, MiB and GiB', () => {
  assert.equal(formatSize(0), '0 bytes');
  assert.equal(formatSize(1), '1 byte');
  assert.equal(formatSize(1023), '1023 bytes');
  assert.equal(formatSize(1024), '1 KiB');
  assert.equal(formatSize(1536), '1.5 KiB');
  assert.equal(formatSize(10 * 1024 - 1), '10 KiB');
  assert.equal(formatSize(512 * 1024), '512 KiB');
  assert.equal(formatSize(10 * MiB), '10 MiB');
  assert.equal(formatSize(2.25 * MiB), '2.3 MiB');
  assert.equal(formatSize(3 * 1024 * MiB), '3 GiB');
  assert.equal(formatSize(-5), '0 bytes');
  assert.equal(formatSize(undefined), '0 bytes');
});

test('names become ones the server accepts', () => {
  assert.equal(uploadName('report.pdf'), 'report.pdf');
  assert.equal(uploadName('a/b\\c\u0007d.txt'), 'a_b_c_d.txt');
  assert.equal(uploadName('   '), 'file');
  const long = uploadName(`${'x'.repeat(300)}.tar.gz`);
  assert.equal([...long].length, 128);
  assert.ok(long.endsWith('.gz'), 'the extension survives');
  const emoji = uploadName(`${'😀'.repeat(200)}.png`);
  assert.equal([...emoji].length, 128, 'counted in code points');
  assert.ok(emoji.endsWith('.png'));
});

test('too large, empty and one too many are refused with sentences; the rest are accepted', () => {
  const f = (name, size) => ({ name, size });
  const { accepted, errors } = checkFiles(0, [f('a.txt', 10), f('x.pdf', 10 * MiB + 1), f('e.txt', 0), f('max.bin', 10 * MiB)]);
  assert.deepEqual(accepted.map((x) => x.name), ['a.txt', 'max.bin']);
  assert.deepEqual(errors, ['x.pdf is larger than 10 MiB.', 'e.txt is empty.']);
  const many = checkFiles(8, [f('1', 1), f('2', 1), f('3', 1), f('4', 1)]);
  assert.deepEqual(many.accepted.map((x) => x.name), ['1', '2']);
  assert.deepEqual(many.errors, ['You can attach at most 10 files per message.']);
  assert.deepEqual(checkFiles(10, [f('z', 1)]).accepted, []);
});

test('refusals are sentences naming the file, never codes', () => {
  const codes = ['too_large', 'bad_request', 'forbidden', 'not_found', 'blocked', 'unauthorized', 'internal', 'lost', undefined];
  for (const code of codes) {
    const s = uploadRefusal('x.pdf', { code });
    assert.match(s, /^\S.* .*\.$/, `a sentence for ${code}`);
    assert.doesNotMatch(s, /_/, `no raw code for ${code}`);
    if (code !== 'unauthorized') assert.match(s, /x\.pdf/);
  }
  assert.equal(uploadRefusal('x.pdf', { code: 'too_large' }), 'x.pdf is larger than 10 MiB.');
  assert.equal(waitingNote('rate_limited', 8200), 'Too many uploads at once: trying again in 9 seconds.');
  assert.equal(waitingNote('rate_limited', 300), 'Too many uploads at once: trying again in 1 second.');
  assert.equal(waitingNote('network'), 'Waiting for the connection…');
});

test('a message is ready once no file is left to upload; its ids keep the order', () => {
  const p = { files: [
    { key: 'a', state: 'done', attachment: { id: 'A' } },
    { key: 'b', state: 'uploading' },
    { key: 'c', state: 'failed', error: 'no' },
    { key: 'd', state: 'done', attachment: { id: 'D' } },
  ] };
  assert.equal(filesSettled(p), false);
  p.files[1].state = 'waiting';
  assert.equal(filesSettled(p), false);
  p.files[1] = { key: 'b', state: 'done', attachment: { id: 'B' } };
  assert.equal(filesSettled(p), true);
  assert.deepEqual(attachmentIds(p), ['A', 'B', 'D']);
  assert.equal(filesSettled({ text: 'no files' }), true);
  assert.deepEqual(attachmentIds({}), []);
});

test('saved files come back waiting unless done or failed; progress and junk are not kept', () => {
  const files = [
    { key: 'a', name: 'a.png', size: 5, type: 'image/png', state: 'uploading', loaded: 3, retryAt: 99, note: 'x' },
    { key: 'b', name: 'b.pdf', size: 6, type: 'application/pdf', state: 'done', attachment: { id: 'B' }, loaded: 6 },
    { key: 'c', name: 'c.txt', size: 7, type: 'text/plain', state: 'failed', error: 'c.txt is empty.' },
  ];
  const saved = JSON.parse(JSON.stringify(persistFiles(files)));
  assert.equal(saved[0].state, 'waiting', 'an upload in flight starts again');
  assert.equal(saved[0].loaded, undefined);
  assert.equal(saved[0].retryAt, undefined);
  const back = restoreFiles([...saved, null, { key: 1 }, { key: 'd', name: 'd', size: 'big' }]);
  assert.deepEqual(back.map((f) => [f.key, f.state]), [['a', 'waiting'], ['b', 'done'], ['c', 'failed']]);
  assert.equal(back[1].attachment.id, 'B');
  assert.equal(back[2].error, 'c.txt is empty.');
  assert.equal(restoreFiles([{ key: 'e', name: 'e', size: 1, state: 'done' }])[0].state, 'waiting', 'done without an attachment uploads again');
  assert.equal(persistFiles([]), undefined);
  assert.equal(restoreFiles('nope'), undefined);
});

test('images keep their ratio within the box and are never enlarged', () => {
  assert.deepEqual(fitImage(7, 5), { width: 7, height: 5 });
  assert.deepEqual(fitImage(3600, 1800), { width: 360, height: 180 });
  assert.deepEqual(fitImage(1000, 3000), { width: 100, height: 300 });
  assert.deepEqual(fitImage(360, 300), { width: 360, height: 300 });
  assert.deepEqual(fitImage(10000, 1), { width: 360, height: 1 });
  assert.deepEqual(fitImage(0, 0), { width: 360, height: 270 });
  assert.equal(isInlineImage({ image: { width: 2, height: 3 } }), true);
  assert.equal(isInlineImage({ content_type: 'image/png', image: null }), false, 'only what the server measured shows inline');
  assert.equal(attachmentSummary([{ name: 'a.png' }]), 'a.png');
  assert.equal(attachmentSummary([{ name: 'a' }, { name: 'b' }]), '2 files');
  assert.equal(attachmentSummary([]), '');
});
