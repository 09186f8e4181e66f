// The one-socket baseline the end-to-end benchmark compares lanegate with:
// a plain `ws` server on one thread, one FIFO for every request (chat and
// ops alike), the same echo agent and the same protocol subset, as gateways
// are built today. `--echo` turns it into a plain echo server (every frame
// sent straight back) for the throughput comparison.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createEchoAgent } from '../../src/agents/echo.js';
import { RetainedOps } from '../../src/state/retained-ops.js';

const ECHO_ONLY = process.argv.includes('--echo');
/** Items handled per event-loop turn, as lanegate's runtime does. */
const PER_TURN = 256;

interface Conn {
  ws: WebSocket;
  seq: number;
  ready: boolean;
  subscribed: boolean;
}
interface Item {
  conn: Conn;
  text: string;
}

const agent = createEchoAgent();
const log = new RetainedOps(100_000);
const fifo: Item[] = [];
let head = 0;
let scheduled = false;
const subscribers = new Set<Conn>();

const send = (c: Conn, frame: string): void => {
  if (c.ws.readyState === c.ws.OPEN) c.ws.send(frame);
};
const event = (c: Conn, name: string, payload: unknown): void => send(c, `{"type":"event","event":"${name}","payload":${JSON.stringify(payload)},"seq":${c.seq++}}`);
const res = (c: Conn, id: string, payload: unknown): void => send(c, `{"type":"res","id":${JSON.stringify(id)},"ok":true,"payload":${JSON.stringify(payload)}}`);

function handle(c: Conn, text: string): void {
  const f = JSON.parse(text) as { id: string; method: string; params: Record<string, any> };
  const p = f.params ?? {};
  switch (f.method) {
    case 'chat.send': {
      const runId: string = p.idempotencyKey;
      res(c, f.id, { runId, status: 'started' });
      let reply = '';
      let seq = 0;
      const ac = new AbortController();
      void (agent.reply({
          runId,
          agentId: 'echo',
          sessionKey: p.sessionKey,
          message: p.message,
          history: [],
          signal: ac.signal,
          delta: (t) => {
            reply += t;
            event(c, 'chat', { runId, sessionKey: p.sessionKey, seq: ++seq, state: 'delta', deltaText: reply, replace: true });
          },
          spawn: () => {},
          deliver: () => Promise.resolve({ seq: 0, duplicate: false }),
        }) as Promise<void>)
        .then(() => event(c, 'chat', { runId, sessionKey: p.sessionKey, seq: ++seq, state: 'final', message: { role: 'assistant', content: [{ type: 'text', text: reply }] } }));
      return;
    }
    case 'ops.deliver': {
      const { payload, ...route } = p;
      const payloadJson = JSON.stringify(payload);
      const r = log.append({ lane: route.lane, sessionKey: route.sessionKey, kind: route.kind, idempotencyKey: route.idempotencyKey, ts: Date.now(), payloadJson });
      res(c, f.id, { accepted: true, seq: r.seq });
      if (!r.duplicate) {
        const e = `{"seq":${r.seq},"lane":"${route.lane}","sessionKey":${JSON.stringify(route.sessionKey)},"kind":${JSON.stringify(route.kind)},"idempotencyKey":${JSON.stringify(route.idempotencyKey)},"ts":${Date.now()},"payload":${payloadJson}}`;
        for (const s of subscribers) send(s, `{"type":"event","event":"ops","payload":${e},"seq":${s.seq++}}`);
      }
      return;
    }
    case 'ops.subscribe':
      subscribers.add(c);
      res(c, f.id, { subscribed: true, recovered: true, headSeq: log.headSeq });
      return;
    case 'sessions.describe':
      res(c, f.id, { session: null });
      return;
    default:
      send(c, `{"type":"res","id":${JSON.stringify(f.id)},"ok":false,"error":{"code":"INVALID_REQUEST","message":"unknown method: ${f.method}"}}`);
  }
}

function drain(): void {
  scheduled = false;
  for (let n = 0; n < PER_TURN && head < fifo.length; n++) {
    const item = fifo[head]!;
    fifo[head++] = undefined as unknown as Item;
    handle(item.conn, item.text);
  }
  if (head === fifo.length) {
    fifo.length = 0;
    head = 0;
  } else schedule();
}

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
}

const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 16 << 20 });
wss.on('connection', (ws) => {
  if (ECHO_ONLY) {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    return;
  }
  const c: Conn = { ws, seq: 1, ready: false, subscribed: false };
  ws.on('close', () => subscribers.delete(c));
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    if (!c.ready) {
      const f = JSON.parse(text) as { id: string };
      c.ready = true;
      res(c, f.id, { type: 'hello-ok', protocol: 4, server: { version: 'baseline', connId: randomUUID() }, features: { methods: [], events: [] } });
      return;
    }
    fifo.push({ conn: c, text });
    schedule();
  });
  ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: randomUUID(), ts: Date.now() } }));
});
http.listen(0, '127.0.0.1', () => {
  const port = (http.address() as AddressInfo).port;
  process.stdout.write(`baseline ${ECHO_ONLY ? 'echo' : 'one-socket'} server\n  conv     ws://127.0.0.1:${port}\n  ops      off\n  webchat  http://127.0.0.1:${port}/\n`);
});
process.on('SIGTERM', () => process.exit(0));
