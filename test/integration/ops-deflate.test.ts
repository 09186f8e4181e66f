import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { TestClient, type Frame } from '../helpers/client.js';
import { tapFrames } from '../helpers/frame-tap.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// permessage-deflate on the ops port only (LANEGATE_OPS_DEFLATE=on): large
// frames leave compressed, frames under the threshold do not, the conv
// port never negotiates it, and a small frame that inflates past the
// port's payload limit is refused as it inflates (close 1009), before and
// after connect.

const MAX = 256 * 1024;
let gw: RunningGateway;

before(async () => {
  gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_OPS_DEFLATE: 'on', LANEGATE_OPS_DEFLATE_THRESHOLD: '4096', LANEGATE_OPS_MAX_PAYLOAD: String(MAX) });
});
after(async () => {
  await gw.stop();
});

// Compressible like prose, not like a repeated byte.
const words = ['delta', 'result', 'agent', 'token', 'stream', 'cron', 'session', 'final', 'lane', 'worker'];
const text = (n: number): string => Array.from({ length: n }, (_, i) => words[(i * 7 + (i >> 3)) % words.length]).join(' ');

test('large ops frames leave compressed, small ones do not; both codecs', async () => {
  for (const msgpack of [false, true]) {
    const producer = await TestClient.connect(gw.opsUrl!, { msgpack });
    const watcher = await TestClient.connect(gw.opsUrl!, { msgpack });
    assert.match(watcher.ws.extensions, /permessage-deflate/);
    await watcher.request('ops.subscribe', {});
    const tap = tapFrames(watcher.ws);
    const payload = { text: text(8000) };
    const jsonBytes = JSON.stringify(payload).length;
    const got = watcher.waitFor((f) => f.event === 'ops', 10_000, false);
    const ack = await producer.request('ops.deliver', { lane: 'cron', sessionKey: 's', idempotencyKey: `z-${msgpack}`, kind: 'k', payload });
    const ev: Frame = await got;
    assert.deepEqual(ev.payload.payload, payload);
    const small = await watcher.request('health', {});
    assert.equal(small.ok, true);
    const [big, answer] = tap.frames;
    assert.ok(big!.compressed, 'the large event is compressed');
    assert.ok(big!.length < jsonBytes / 3, `compressed to ${big!.length} of ${jsonBytes} bytes`);
    assert.equal(answer!.compressed, false, 'a frame under the threshold is sent as is');
    assert.equal(ack.payload.accepted, true);
    await Promise.all([producer.close(), watcher.close()]);
  }
});

test('the conv port never negotiates permessage-deflate', async () => {
  const c = await TestClient.connect(gw.convUrl);
  assert.equal(c.ws.extensions, '');
  await c.close();
});

/** A frame of zeros that ws compresses to a few hundred bytes. */
const bomb = (bytes: number): Buffer => Buffer.alloc(bytes, 0x20);

test('a compressed frame that inflates past the payload limit is refused (after connect)', async () => {
  const c = await TestClient.connect(gw.opsUrl!);
  c.raw(bomb(4 * MAX).toString());
  assert.equal((await c.closed).code, 1009);
  const observer = await TestClient.connect(gw.opsUrl!);
  assert.equal((await observer.request('health', {})).ok, true, 'the port still serves');
  const refusals = (await observer.request('status', {})).payload.lanegate.edge.ops.refusals;
  assert.ok(refusals['too-large'] >= 1, JSON.stringify(refusals));
  await observer.close();
});

test('before connect, inflation stops at the pre-auth limit', async () => {
  const ws = new WebSocket(gw.opsUrl!);
  await new Promise((r) => ws.once('open', r));
  assert.match(ws.extensions, /permessage-deflate/);
  // Under the port's limit, over the 64 KiB pre-auth one.
  ws.send(bomb(MAX / 2).toString());
  const code = await new Promise<number>((r) => ws.once('close', r));
  assert.equal(code, 1009);
  const observer = await TestClient.connect(gw.opsUrl!);
  const refusals = (await observer.request('status', {})).payload.lanegate.edge.ops.refusals;
  assert.ok(refusals['preauth-too-large'] >= 1, JSON.stringify(refusals));
  await observer.close();
});
