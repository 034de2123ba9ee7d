// Benchmark baseline: a minimal JavaScript Durable Object chat room with the same
// storage work per message as the product's room (src/platform/sql_store.rs):
// inside one transactionSync, look the (author, client_id) change up for
// idempotency, insert the event row (the exact frame broadcast, for replay) and
// the message row (the Message as JSON); then broadcast the frame to every socket
// of the room and ack the sender. Sockets use the Hibernation API
// (acceptWebSocket, an attachment with the user, the runtime answers pings).
// No authentication: the user is the `user` query parameter. The var STORE = "0"
// (only bench/profile.mjs sets it, to measure what storage costs) skips the SQL.
//
// Protocol: GET /api/rooms/{room}/socket?user=NAME (WebSocket upgrade); frames as
// in the product: {"type":"send","client_id","text"} -> {"type":"message",...} to
// all, {"type":"ack","client_id","seq"} to the sender, {"type":"error",...} on a
// bad frame.
import { DurableObject } from 'cloudflare:workers';

const TEXT_MAX = 4000;
const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const m = url.pathname.match(/^\/api\/rooms\/([a-z0-9-]{2,32})\/socket$/);
    if (url.pathname === '/api/health') return Response.json({ status: 'ok' });
    if (!m) return new Response('not found', { status: 404 });
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('upgrade required', { status: 426 });
    const user = url.searchParams.get('user');
    if (!user) return new Response('user required', { status: 400 });
    return env.ROOMS.get(env.ROOMS.idFromName(m[1])).fetch(request);
  },
};

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, author TEXT, client_id TEXT);
      CREATE UNIQUE INDEX IF NOT EXISTS events_change ON events(author, client_id) WHERE client_id IS NOT NULL;
      CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, author TEXT NOT NULL, deleted INTEGER NOT NULL, body TEXT NOT NULL);
    `);
    this.seq = this.sql.exec('SELECT COALESCE(MAX(seq), 0) AS n FROM events').one().n;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  async fetch(request) {
    const user = new URL(request.url).searchParams.get('user');
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ user });
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, data) {
    let frame;
    try { frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)); } catch { return error(ws, 'Not JSON.'); }
    if (frame?.type !== 'send') return error(ws, 'Unknown frame type.');
    const { client_id: clientId, text } = frame;
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return error(ws, 'Bad client_id.');
    if (typeof text !== 'string' || !text.trim() || [...text].length > TEXT_MAX) return error(ws, 'Bad text.');
    const { user } = ws.deserializeAttachment();
    let out = null;
    let seq = 0;
    if (this.env.STORE === '0') {
      seq = ++this.seq;
      out = JSON.stringify({
        type: 'message', seq, author: user, text, ts: Date.now(), client_id: clientId,
        reply_to: null, edited_at: null, deleted: false, reactions: {},
      });
    } else this.ctx.storage.transactionSync(() => {
      const seen = this.sql.exec('SELECT seq FROM events WHERE author = ? AND client_id = ?', user, clientId).toArray();
      if (seen.length) { seq = seen[0].seq; return; }
      seq = this.seq + 1;
      const message = {
        seq, author: user, text, ts: Date.now(), client_id: clientId,
        reply_to: null, edited_at: null, deleted: false, reactions: {},
      };
      out = JSON.stringify({ type: 'message', ...message });
      this.sql.exec('INSERT INTO events (seq, frame, author, client_id) VALUES (?, ?, ?, ?)', seq, out, user, clientId);
      this.sql.exec('INSERT INTO messages (seq, author, deleted, body) VALUES (?, ?, 0, ?)', seq, user, JSON.stringify(message));
      this.seq = seq;
    });
    if (out) {
      for (const s of this.ctx.getWebSockets()) {
        try { s.send(out); } catch { /* closing */ }
      }
    }
    ws.send(JSON.stringify({ type: 'ack', client_id: clientId, seq }));
  }

  webSocketClose(ws, code) {
    try { ws.close(code, 'closed'); } catch { /* already closed */ }
  }

  webSocketError() {}
}

function error(ws, message) {
  ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message }));
}
