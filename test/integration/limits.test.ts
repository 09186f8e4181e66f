import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chatOnce, TestClient } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';
import { Op, RawWs } from '../helpers/raw-ws.js';

// Limits at the edge. Each refusal comes with its documented answer (close
// code, HTTP status or error shape), is counted in `status`
// (lanegate.edge.<port>.refusals), and a well-behaved client on the same
// port keeps being served. Per-IP limits are shown apart from other
// addresses with loopback source addresses 127.0.0.x (Linux routes all of
// 127/8 to lo).

const KEY = 'agent:main:main';

async function stillServing(c: TestClient, tag: string): Promise<void> {
  const { final } = await chatOnce(c, KEY, `still serving ${tag}`, `${tag}-${Math.random().toString(36).slice(2)}`);
  assert.equal(final.payload.state, 'final');
}

const refusals = async (c: TestClient, port: 'conv' | 'ops' = 'conv'): Promise<Record<string, number>> =>
  (await c.request('status', {})).payload.lanegate.edge[port].refusals;

/**
 * Waits until the conv port counts `n` open connections: a closed client's
 * slot is freed when the server's side of its socket closes, which may come
 * a moment after the client saw its own close. Polls over the protocol
 * (each poll is a round trip, no timer), a bounded number of times.
 */
async function settle(c: TestClient, n: number): Promise<void> {
  for (let i = 0; i < 5000; i++) if ((await c.request('status', {})).payload.lanegate.edge.conv.connections === n) return;
  assert.fail(`conv port never settled at ${n} connections`);
}

/** Upgrades with a raw client; returns it, or the HTTP status of the refusal. */
async function upgrade(url: string, localAddress?: string): Promise<RawWs | number> {
  const r = await RawWs.open(url, localAddress ? { localAddress } : {});
  return r instanceof RawWs ? r : r.status;
}

describe('pre-auth frame cap, handshake timeout', () => {
  let gw: RunningGateway;
  let observer: TestClient;
  before(async () => {
    gw = await startGateway({ LANEGATE_HANDSHAKE_TIMEOUT_MS: '500' });
    observer = await TestClient.connect(gw.convUrl);
  });
  after(async () => {
    await observer.close();
    await gw.stop();
  });

  test('a pre-auth frame header announcing more than 64 KiB is refused with 1009 before its payload is sent', async () => {
    const c = (await upgrade(gw.convUrl)) as RawWs;
    assert.ok(c instanceof RawWs);
    const challenge = await c.next((f) => f.opcode === Op.TEXT);
    assert.match(challenge!.payload.toString(), /connect\.challenge/);
    // 512 KiB is within the port's max payload (1 MiB); no byte of it follows the header.
    c.send({ opcode: Op.TEXT, declaredLength: 512 * 1024 });
    assert.equal(await c.closed(), 1009, 'ws refused it from the header alone: the cap is enforced in its receiver');
    // After connect the port's own limit applies again: a 200 KB frame is answered.
    const big = await observer.request('chat.history', { sessionKey: KEY, limit: 1, pad: 'x'.repeat(200_000) });
    assert.equal(big.ok, true);
    assert.ok((await refusals(observer))['preauth-too-large']! >= 1);
    await stillServing(observer, 'preauth');
  });

  test('fragments of a pre-auth message count together against the cap', async () => {
    const c = (await upgrade(gw.convUrl)) as RawWs;
    await c.next((f) => f.opcode === Op.TEXT);
    c.send({ opcode: Op.TEXT, fin: false, payload: 'x'.repeat(40_000) });
    c.send({ opcode: Op.CONT, fin: false, payload: 'x'.repeat(40_000) });
    assert.equal(await c.closed(), 1009);
    await stillServing(observer, 'fragments');
  });

  test('no connect within the handshake timeout: close 1008', async () => {
    const c = await TestClient.open(gw.convUrl);
    const closed = await c.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'handshake timeout');
    assert.ok((await refusals(observer))['handshake-timeout']! >= 1);
    await stillServing(observer, 'timeout');
  });
});

describe('message rate per connection, separate per port', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({
      LANEGATE_OPS_PORT: '0',
      // Slow enough that refill during the test is a rounding error next to the burst.
      LANEGATE_CONV_RATE: '2',
      LANEGATE_CONV_RATE_BURST: '8',
      LANEGATE_OPS_RATE: '1000',
      LANEGATE_OPS_RATE_BURST: '1000',
    });
  });
  after(async () => {
    await gw.stop();
  });

  test('over the rate: UNAVAILABLE retryable with retryAfterMs; a client that keeps going is closed with 1008', async () => {
    const observer = await TestClient.connect(gw.convUrl);
    const flooder = await TestClient.connect(gw.convUrl);
    const answers = Array.from({ length: 12 }, () => flooder.request('health', {}));
    const got = await Promise.all(answers);
    const ok = got.filter((f) => f.ok);
    const limited = got.filter((f) => !f.ok);
    assert.ok(ok.length >= 8 && ok.length < 12, `the burst passes (${ok.length} ok)`);
    assert.ok(limited.length >= 1);
    for (const f of limited) {
      assert.equal(f.error!.code, 'UNAVAILABLE');
      assert.equal(f.error!.retryable, true);
      assert.ok(f.error!.retryAfterMs! > 0);
      assert.equal(f.error!.details.code, 'RATE_LIMITED');
    }
    // Keeps going without waiting: once its debt passes another burst it is cut off.
    for (let i = 0; i < 100 && flooder.ws.readyState === flooder.ws.OPEN; i++) flooder.raw(JSON.stringify({ type: 'req', id: `f${i}`, method: 'health' }));
    const closed = await flooder.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'rate limit exceeded');
    // The observer has its own bucket.
    assert.equal((await observer.request('health', {})).ok, true);
    const r = await refusals(observer);
    assert.ok(r['rate-limited']! >= 1 && r['rate-closed'] === 1, JSON.stringify(r));
    await observer.close();
  });

  test('garbage frames pay into the rate too', async () => {
    const flooder = await TestClient.connect(gw.convUrl);
    for (let i = 0; i < 40 && flooder.ws.readyState === flooder.ws.OPEN; i++) flooder.raw('not json');
    assert.equal((await flooder.closed).code, 1008);
  });

  test('the ops port has its own setting: 200 requests at once are all answered there', async () => {
    const ops = await TestClient.connect(gw.opsUrl!);
    const got = await Promise.all(Array.from({ length: 200 }, () => ops.request('health', {})));
    assert.equal(got.filter((f) => f.ok).length, 200);
    await ops.close();
  });
});

describe('connections per IP, new connections per second per IP, connections per port', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({
      LANEGATE_OPS_PORT: '0',
      LANEGATE_MAX_CONNS_PER_IP: '3',
      LANEGATE_CONN_RATE_PER_IP: '1',
      LANEGATE_CONN_BURST_PER_IP: '6',
      LANEGATE_CONV_MAX_CONNS: '5',
      LANEGATE_OPS_MAX_CONNS: '2',
    });
  });
  after(async () => {
    await gw.stop();
  });

  test('a 4th connection from one IP gets HTTP 429; another IP and a freed slot are served', async () => {
    const mine = await Promise.all([1, 2, 3].map(() => TestClient.connect(gw.convUrl, { ws: { localAddress: '127.0.0.2' } })));
    assert.equal(await upgrade(gw.convUrl, '127.0.0.2'), 429);
    const other = await TestClient.connect(gw.convUrl, { ws: { localAddress: '127.0.0.3' } });
    await stillServing(mine[0]!, 'per-ip');
    await stillServing(other, 'other-ip');
    await mine[2]!.close();
    const again = await TestClient.connect(gw.convUrl, { ws: { localAddress: '127.0.0.2' } });
    assert.ok((await refusals(other))['ip-conns']! >= 1);
    await Promise.all([...mine.slice(0, 2), again, other].map((c) => c.close()));
  });

  test('opening connections faster than the per-IP rate gets HTTP 429 with retry-after; other IPs are served', async () => {
    // Burst 6 at 1/s: of 12 attempts at once, at most 6 (+1 per elapsed second) pass the rate.
    const tries = await Promise.all(Array.from({ length: 12 }, () => RawWs.open(gw.convUrl, { localAddress: '127.0.0.4' })));
    const statuses = tries.map((t) => (t instanceof RawWs ? 101 : t.status));
    assert.ok(statuses.includes(429), `refused some: ${statuses.join(',')}`);
    for (const t of tries) if (t instanceof RawWs) t.destroy();
    const other = await TestClient.connect(gw.convUrl, { ws: { localAddress: '127.0.0.5' } });
    await stillServing(other, 'rate-other-ip');
    assert.ok((await refusals(other))['ip-rate']! >= 1);
    await other.close();
  });

  test('the port cap: HTTP 503 when full; the other port has its own cap; a freed slot is reused', async () => {
    const first = await TestClient.connect(gw.convUrl, { ws: { localAddress: '127.0.0.10' } });
    await settle(first, 1); // the earlier tests' sockets are all gone
    const addrs = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'];
    const conv = [first, ...(await Promise.all(addrs.map((a) => TestClient.connect(gw.convUrl, { ws: { localAddress: a } }))))];
    assert.equal(await upgrade(gw.convUrl, '127.0.0.15'), 503);
    const ops = await Promise.all(['127.0.0.20', '127.0.0.21'].map((a) => TestClient.connect(gw.opsUrl!, { ws: { localAddress: a } })));
    assert.equal(await upgrade(gw.opsUrl!, '127.0.0.22'), 503);
    await stillServing(conv[0]!, 'cap');
    await conv[4]!.close();
    await settle(conv[0]!, 4);
    const again = await TestClient.connect(gw.convUrl, { ws: { localAddress: '127.0.0.16' } });
    await stillServing(again, 'cap-again');
    const r = await refusals(again);
    assert.ok(r['conn-cap']! >= 1);
    assert.ok((await refusals(again, 'ops'))['conn-cap']! >= 1);
    await Promise.all([...conv.slice(0, 4), again, ...ops].map((c) => c.close()));
  });
});
