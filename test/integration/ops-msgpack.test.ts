import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pack } from 'msgpackr';
import { WebSocket } from 'ws';
import { MSGPACK_SUBPROTOCOL } from '../../src/protocol/msgpack.js';
import { TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// The ops port's binary subprotocol: a client that offers lanegate.msgpack.v1
// speaks the same protocol (handshake, methods, events, errors) in
// MessagePack binary frames, and every frame it gets is checked against
// OpenClaw's schema like a JSON client's. JSON clients on the same port
// see the same deliveries; the conv port never agrees to MessagePack.

const TOKEN = 'msgpack-secret';
let gw: RunningGateway;

before(async () => {
  gw = await startGateway({ LANEGATE_TOKEN: TOKEN, LANEGATE_OPS_PORT: '0' });
});
after(async () => {
  await gw.stop();
});

const payload = { text: 'résultat ✓ 😀 '.repeat(50), numbers: [0, -1, 1.5, 2 ** 53 - 1], flags: { done: true, none: null }, list: [{ a: [] }, {}] };

function nextOps(c: TestClient): Promise<Frame> {
  return c.waitFor((f) => f.event === 'ops', 10_000, false);
}

test('handshake, deliver, retry and live events in MessagePack; a JSON subscriber sees the same delivery', async () => {
  const producer = await TestClient.connect(gw.opsUrl!, { token: TOKEN, msgpack: true, mode: 'backend' });
  const watcher = await TestClient.connect(gw.opsUrl!, { token: TOKEN, msgpack: true, mode: 'ui' });
  const jsonWatcher = await TestClient.connect(gw.opsUrl!, { token: TOKEN, mode: 'ui' });
  assert.equal(producer.ws.protocol, MSGPACK_SUBPROTOCOL);
  assert.equal(jsonWatcher.ws.protocol, '');
  assert.equal(producer.hello!.payload.protocol, 4);
  assert.equal((await watcher.request('ops.subscribe', {})).payload.recovered, true);
  await jsonWatcher.request('ops.subscribe', {});

  const events = [nextOps(watcher), nextOps(jsonWatcher)];
  const params = { lane: 'subagent', sessionKey: 'agent:main:main', idempotencyKey: 'mp-1', kind: 'subagent.result', payload };
  const ack = await producer.request('ops.deliver', params);
  assert.equal(ack.ok, true);
  assert.equal(ack.payload.accepted, true);
  const [mp, json] = await Promise.all(events);
  assert.deepEqual(mp!.payload, json!.payload, 'the same event on both codecs');
  assert.deepEqual(mp!.payload.payload, payload);
  assert.equal(mp!.payload.seq, ack.payload.seq);

  // A retried key gets the first answer and is not delivered again.
  const retry = await producer.request('ops.deliver', params);
  assert.deepEqual(retry.payload, { ...ack.payload, duplicate: true });
  // The per-connection frame seq counts on: the next event is the next number.
  const second = nextOps(watcher);
  const ack2 = await producer.request('ops.deliver', { ...params, idempotencyKey: 'mp-2' });
  const ev2 = await second;
  assert.equal(ev2.payload.seq, ack2.payload.seq);
  assert.equal(ev2.seq, mp!.seq! + 1);

  // Replay after a cursor, in MessagePack too.
  const replay = await TestClient.connect(gw.opsUrl!, { token: TOKEN, msgpack: true });
  const replayed = replay.waitFor((f) => f.event === 'ops' && f.payload.idempotencyKey === 'mp-2');
  assert.equal((await replay.request('ops.subscribe', { afterSeq: ack.payload.seq })).payload.recovered, true);
  assert.equal((await replayed).payload.seq, ack2.payload.seq);

  for (const c of [producer, watcher, replay]) assert.equal(c.received.text, 0, 'a MessagePack client gets binary frames only');
  assert.equal(jsonWatcher.received.binary, 0);
  await Promise.all([producer, watcher, jsonWatcher, replay].map((c) => c.close()));
});

test('bad frames on a MessagePack connection: the same clear errors, and the connection stays open', async () => {
  const c = await TestClient.connect(gw.opsUrl!, { token: TOKEN, msgpack: true });
  const json = await TestClient.connect(gw.opsUrl!, { token: TOKEN });
  const errorOf = (x: TestClient): Promise<Frame> => x.waitFor((f) => f.type === 'res' && f.ok === false, 10_000, false);

  let e = errorOf(c);
  c.raw(Buffer.from([0x82, 0xa4, 0x74]), true);
  const bad = (await e).error!;
  e = errorOf(json);
  json.raw('{"type":');
  const badJson = (await e).error!;
  assert.equal(bad.code, badJson.code);
  assert.equal(bad.message, 'invalid frame: not valid MessagePack');
  assert.equal(badJson.message, 'invalid frame: not valid JSON');

  e = errorOf(c);
  c.raw(JSON.stringify({ type: 'req', id: 'x', method: 'health' }));
  assert.match((await e).error!.message, /text frames are not read on a lanegate\.msgpack\.v1 connection/);

  e = errorOf(c);
  c.raw(pack({ type: 'req', id: 'b', method: 'ops.deliver', params: { lane: 'cron', sessionKey: 's', idempotencyKey: 'b', kind: 'k', payload: { blob: Buffer.alloc(8) } } }), true);
  const binErr = await e;
  assert.equal(binErr.id, 'invalid');
  assert.match(binErr.error!.message, /payload\.blob holds bin, which JSON cannot carry/);

  const bad2 = await c.request('ops.deliver', { lane: 'nowhere', sessionKey: 's', idempotencyKey: 'z', kind: 'k', payload: 1 });
  assert.equal(bad2.error!.code, 'INVALID_REQUEST');
  assert.match(bad2.error!.message, /^invalid ops\.deliver params: lane must be one of/);
  assert.equal((await c.request('health', {})).ok, true, 'still serving');

  const status = (await json.request('status', {})).payload.lanegate.edge.ops;
  assert.equal(status.refusals['text-frame'], 1);
  await Promise.all([c.close(), json.close()]);
});

test('a MessagePack connect is required on a MessagePack connection (a JSON connect frame is not one)', async () => {
  const c = await TestClient.open(gw.opsUrl!, undefined, true);
  c.raw(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: {} }));
  const closed = await c.closed;
  assert.equal(closed.code, 1008);
});

test('the conv port never agrees to MessagePack', async () => {
  const ws = new WebSocket(gw.convUrl, [MSGPACK_SUBPROTOCOL]);
  const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
  assert.match(err.message, /no subprotocol/i);
  // A client offering another protocol as well still gets that one (the gateway never picks MessagePack there).
  const other = new WebSocket(gw.convUrl, [MSGPACK_SUBPROTOCOL, 'openclaw']);
  await new Promise((r) => other.once('open', r));
  assert.equal(other.protocol, 'openclaw');
  other.close();
});
