// Hand-made JWTs for the token tests: the server's own secret (from the
// .dev.vars the harness gave it) or a wrong one, with any header and claims.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './server.mjs';

export function serverSecret() {
  const text = readFileSync(join(ROOT, '.dev.vars'), 'utf8');
  const m = text.match(/^JWT_SECRET=(.*)$/m);
  if (!m) throw new Error('no JWT_SECRET in .dev.vars');
  return m[1].trim();
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function sign(header, claims, secret = serverSecret()) {
  const head = `${b64url(header)}.${b64url(claims)}`;
  const sig = createHmac('sha256', secret).update(head).digest('base64url');
  return `${head}.${sig}`;
}

export function decode(token) {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), claims: JSON.parse(Buffer.from(p, 'base64url')) };
}
