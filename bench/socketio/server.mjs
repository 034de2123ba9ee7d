// Baseline: a minimal Node.js + Socket.IO 4 room-broadcast chat server, in memory
// (no persistence, no authentication), as the product's predecessor would be.
//
// Protocol: connect (WebSocket transport) to
//   ws://HOST:PORT/socket.io/?EIO=4&transport=websocket&room=ROOM&user=NAME
// emit "send" {client_id, text}; every socket of the room (the sender's included)
// gets "message" with the product's Message shape, the sender then "ack"
// {client_id, seq}; a bad payload gets "error". Each room keeps its last 1,000
// messages in memory. Socket.IO encodes a room broadcast once for all receivers.
//
// Usage: node server.mjs [PORT]   (prints "listening on PORT" when ready)
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const HISTORY = 1000;
const TEXT_MAX = 4000;
const port = Number(process.argv[2] ?? 0);

const httpServer = createServer((_req, res) => { res.writeHead(404).end(); });
const io = new Server(httpServer, {
  serveClient: false,
  maxHttpBufferSize: 16 * 1024, // the contract's frame limit
});
const rooms = new Map(); // name -> { seq, history }

io.on('connection', (socket) => {
  const { room, user } = socket.handshake.query;
  if (typeof room !== 'string' || typeof user !== 'string' || !room || !user) {
    socket.disconnect(true);
    return;
  }
  let state = rooms.get(room);
  if (!state) { state = { seq: 0, history: [] }; rooms.set(room, state); }
  socket.join(room);

  socket.on('send', (frame) => {
    const clientId = frame?.client_id;
    const text = frame?.text;
    if (typeof clientId !== 'string' || typeof text !== 'string' || !text.trim() || [...text].length > TEXT_MAX) {
      socket.emit('error', { type: 'error', code: 'bad_request', message: 'client_id and text are required.' });
      return;
    }
    const seq = ++state.seq;
    const message = {
      type: 'message', seq, author: user, text, ts: Date.now(), client_id: clientId,
      reply_to: null, edited_at: null, deleted: false, reactions: {},
    };
    state.history.push(message);
    if (state.history.length > HISTORY) state.history.shift();
    io.to(room).emit('message', message);
    socket.emit('ack', { type: 'ack', client_id: clientId, seq });
  });
});

httpServer.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${httpServer.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
