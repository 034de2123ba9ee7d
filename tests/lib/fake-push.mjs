// A push service on loopback for the e2e suite (RFC 8030's receiving end):
// it checks each push's VAPID header (RFC 8292: an ES256 token for its own
// origin, expiring within a day, verified with the key in `k=`), decrypts
// the aes128gcm body (RFC 8291) with the subscription's private key, and
// keeps what it got. A subscription whose path starts /gone/ answers 410.
import { createServer } from 'node:http';
import crypto from 'node:crypto';

/** A browser's side of a subscription: a P-256 key pair and an auth secret. */
export function newSubscriptionKeys() {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = crypto.randomBytes(16);
  return {
    ecdh, auth,
    json: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
  };
}

function decrypt(body, keys) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const shared = keys.ecdh.computeSecret(asPublic);
  const hmac = (k, ...d) => { const h = crypto.createHmac('sha256', k); for (const x of d) h.update(x); return h.digest(); };
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), keys.ecdh.getPublicKey(), asPublic]);
  const ikm = hmac(hmac(keys.auth, shared), info, Buffer.from([1]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0'), Buffer.from([1])).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0'), Buffer.from([1])).subarray(0, 12);
  const d = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
  if (plain[plain.length - 1] !== 2) throw new Error('the record does not end with the last-record delimiter');
  return JSON.parse(plain.subarray(0, -1).toString('utf8'));
}

function checkVapid(header, origin) {
  const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header || '');
  if (!m) throw new Error(`no VAPID authorization: ${header}`);
  const [h, c, s] = m[1].split('.');
  const head = JSON.parse(Buffer.from(h, 'base64url'));
  if (head.alg !== 'ES256') throw new Error(`alg ${head.alg}`);
  const claims = JSON.parse(Buffer.from(c, 'base64url'));
  const now = Date.now() / 1000;
  if (claims.aud !== origin) throw new Error(`aud ${claims.aud}, not ${origin}`);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error(`exp ${claims.exp}`);
  if (!/^(mailto:|https:)/.test(claims.sub || '')) throw new Error(`sub ${claims.sub}`);
  const raw = Buffer.from(m[2], 'base64url');
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('the VAPID signature does not verify');
  return m[2];
}

/** Starts the service; `keysFor(path)` gives the subscription keys of an endpoint path. */
export async function startFakePush() {
  const received = [];
  const problems = [];
  const subscriptions = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = req.url;
      try {
        if (req.method !== 'POST') throw new Error(`method ${req.method}`);
        const publicKey = checkVapid(req.headers.authorization, service.origin);
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`encoding ${req.headers['content-encoding']}`);
        if (!Number(req.headers.ttl)) throw new Error('no TTL');
        if (path.startsWith('/gone/')) { received.push({ path, gone: true }); res.writeHead(410).end(); return; }
        const keys = subscriptions.get(path);
        if (!keys) throw new Error(`unknown subscription ${path}`);
        received.push({ path, publicKey, payload: decrypt(Buffer.concat(chunks), keys) });
        res.writeHead(201).end();
      } catch (e) {
        problems.push(`${path}: ${e.message}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const service = {
    origin: `http://127.0.0.1:${server.address().port}`,
    received, problems,
    /** A new subscription at `path`: { endpoint, keys } as a browser's toJSON gives. */
    subscribe(path) {
      const keys = newSubscriptionKeys();
      subscriptions.set(path, keys);
      return { endpoint: `${service.origin}${path}`, expirationTime: null, keys: keys.json };
    },
    /** Waits for a push to `path` after `since` (an index into received). */
    async next(path, since = 0, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.slice(since).find((r) => r.path === path);
        if (hit) return hit;
        if (problems.length) throw new Error(`push service problems: ${problems.join('; ')}`);
        if (Date.now() > deadline) throw new Error(`no push to ${path}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => new Promise((r) => server.close(r)),
  };
  return service;
}
