// Minimal reproduction of a workerd behaviour (wrangler 4.86): a hibernatable
// WebSocket closed by its Durable Object from a fetch handler keeps its TCP
// connection open until the object hibernates (~10 s) when the client never
// sent a frame; after any client frame (even one the runtime auto-answers) the
// connection ends within milliseconds. No product code: plain JavaScript.
import { DurableObject } from 'cloudflare:workers';

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === '/api/health') return Response.json({ status: 'ok' });
    const stub = env.ROOMS.get(env.ROOMS.idFromName('room'));
    if (new URL(request.url).pathname === '/kick') return stub.fetch('https://internal/kick', { method: 'POST' });
    return stub.fetch(request);
  },
};

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  async fetch(request) {
    if (new URL(request.url).pathname === '/kick') {
      for (const ws of this.ctx.getWebSockets()) ws.close(1000, 'kicked');
      return new Response(null, { status: 204 });
    }
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage() {}

  webSocketClose(ws, code) {
    try { ws.close(code, 'closed'); } catch { /* already closed */ }
  }
}
