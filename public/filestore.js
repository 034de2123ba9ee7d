// The bytes of files waiting to be uploaded, by key: in memory, and in
// IndexedDB as well so that a reload (or a crash) while offline keeps them
// with their message in the outbox. Without IndexedDB (disabled, private
// mode, node) it is memory only. Signing out forgets a user's files.

const DB = 'chat-files';
const STORE = 'files';
const memory = new Map(); // key -> { me, blob }
let opening = null;

function open() {
  if (typeof indexedDB === 'undefined') return Promise.resolve(null);
  if (!opening) {
    opening = new Promise((resolve) => {
      let req;
      try { req = indexedDB.open(DB, 1); } catch { resolve(null); return; }
      req.onupgradeneeded = () => {
        const os = req.result.createObjectStore(STORE, { keyPath: 'key' });
        os.createIndex('me', 'me');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
      req.onblocked = () => resolve(null);
    });
  }
  return opening;
}

/** Runs `fn(objectStore)` in a transaction; resolves with the request's result (null on any failure). */
async function run(mode, fn) {
  const db = await open();
  if (!db) return null;
  return new Promise((resolve) => {
    try {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      let result = null;
      if (req) req.onsuccess = () => { result = req.result; };
      tx.oncomplete = () => resolve(result ?? null);
      tx.onerror = () => resolve(null);
      tx.onabort = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

/** The file store of `me` in `room`: put, get and delete blobs by key. */
export function fileStore(me, room) {
  return {
    async put(key, blob) {
      memory.set(key, { me, blob });
      await run('readwrite', (os) => os.put({ key, me, room, blob, name: blob.name || '', type: blob.type || '' }));
    },
    async get(key) {
      if (memory.has(key)) return memory.get(key).blob;
      const rec = await run('readonly', (os) => os.get(key));
      if (!rec || rec.me !== me || !(rec.blob instanceof Blob)) return null;
      memory.set(key, { me, blob: rec.blob });
      return rec.blob;
    },
    async delete(key) {
      memory.delete(key);
      await run('readwrite', (os) => os.delete(key));
    },
  };
}

/** Forgets every waiting file of `me` (sign-out), in memory and on disk. */
export async function clearFiles(me) {
  for (const [key, v] of memory) if (v.me === me) memory.delete(key);
  const keys = await run('readonly', (os) => os.index('me').getAllKeys(me));
  if (keys?.length) await run('readwrite', (os) => { for (const key of keys) os.delete(key); return null; });
}
