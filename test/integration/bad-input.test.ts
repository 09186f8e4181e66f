import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chatOnce, TestClient } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// Bad input at the edge: each case gets the OpenClaw error shape or the
// close code of the design, the gateway keeps serving a well-formed client,
// and nothing reaches a ring (the observer's own requests are the only
// records written while the bad client talks).

const TOKEN = 'bad-input-secret';
let gw: RunningGateway;
let observer: TestClient;

before(async () => {
  gw = await startGateway({
    LANEGATE_TOKEN: TOKEN,
    LANEGATE_OPS_PORT: '0',
    LANEGATE_CONV_MAX_PAYLOAD: '200000',
    LANEGATE_OPS_MAX_PAYLOAD: '8192',
    LANEGATE_CONV_RING_BYTES: '65536',
  });
  observer = await TestClient.connect(gw.convUrl, { token: TOKEN });
});
after(async () => {
  await observer.close();
  await gw.stop();
});

const written = async (): Promise<{ conv: number; ops: number }> => {
  const r = (await observer.request('status', {})).payload.lanegate.rings;
  return { conv: r.conv.written, ops: r.ops.written };
};

/** Runs `bad` and checks that only the observer's status request reached a ring, and chat still works. */
async function expectNothingWritten(bad: () => Promise<void>): Promise<void> {
  const before = await written();
  await bad();
  const after = await written();
  assert.deepEqual(after, { conv: before.conv + 1, ops: before.ops }, 'no record from the bad client');
  const runId = `ok-${Math.random().toString(36).slice(2)}`;
  const { final } = await chatOnce(observer, 'agent:main:main', 'still serving', runId);
  assert.equal(final.payload.state, 'final');
}

const errorOf = async (c: TestClient): Promise<{ code: string; message: string; details?: any }> =>
  (await c.waitFor((f) => f.type === 'res' && f.ok === false)).error!;

test('non-JSON frame after connect: INVALID_REQUEST, connection stays open', async () => {
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
  await expectNothingWritten(async () => {
    c.raw('this is not json {');
    const e = await errorOf(c);
    assert.equal(e.code, 'INVALID_REQUEST');
    assert.match(e.message, /not valid JSON/);
  });
  const h = await c.request('health', {});
  assert.equal(h.ok, true, 'still usable');
  await c.close();
});

test('unknown frame type: INVALID_REQUEST', async () => {
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
  await expectNothingWritten(async () => {
    c.raw(JSON.stringify({ type: 'bogus', id: 'x1' }));
    const e = await errorOf(c);
    assert.equal(e.code, 'INVALID_REQUEST');
    assert.match(e.message, /unknown frame type/);
  });
  await c.close();
});

test('first frame not connect: error response, then close 1008', async () => {
  const c = await TestClient.open(gw.convUrl);
  await expectNothingWritten(async () => {
    c.raw(JSON.stringify({ type: 'req', id: 'h1', method: 'health', params: {} }));
    const e = await errorOf(c);
    assert.equal(e.code, 'INVALID_REQUEST');
    assert.match(e.message, /first request must be connect/);
    assert.equal((await c.closed).code, 1008);
  });
});

test('wrong token: AUTH_TOKEN_MISMATCH, close 1008', async () => {
  await expectNothingWritten(async () => {
    const err = await TestClient.connect(gw.convUrl, { token: 'wrong' }).catch((e: { frame: any; client: TestClient }) => e);
    assert.ok('frame' in err, 'refused');
    assert.equal(err.frame.error.code, 'INVALID_REQUEST');
    assert.equal(err.frame.error.details.code, 'AUTH_TOKEN_MISMATCH');
    assert.doesNotMatch(JSON.stringify(err.frame), new RegExp(TOKEN), 'the secret is not echoed');
    assert.equal((await err.client.closed).code, 1008);
  });
});

test('missing token: AUTH_REQUIRED, close 1008', async () => {
  const err = await TestClient.connect(gw.convUrl, {}).catch((e: { frame: any; client: TestClient }) => e);
  assert.ok('frame' in err);
  assert.equal(err.frame.error.details.code, 'AUTH_REQUIRED');
  assert.equal((await err.client.closed).code, 1008);
});

test('protocol mismatch: close 1002', async () => {
  const err = await TestClient.connect(gw.convUrl, { token: TOKEN, minProtocol: 5, maxProtocol: 6 }).catch((e: { frame: any; client: TestClient }) => e);
  assert.ok('frame' in err);
  assert.equal(err.frame.error.details.code, 'PROTOCOL_MISMATCH');
  assert.equal((await err.client.closed).code, 1002);
});

test('frame over the conv port max payload: close 1009', async () => {
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
  await expectNothingWritten(async () => {
    c.raw(JSON.stringify({ type: 'req', id: 'big', method: 'chat.send', params: { sessionKey: 'k', message: 'x'.repeat(250_000), idempotencyKey: 'big' } }));
    assert.equal((await c.closed).code, 1009);
  });
});

test('frame over the ops port max payload: close 1009', async () => {
  const c = await TestClient.connect(gw.opsUrl!, { token: TOKEN });
  await expectNothingWritten(async () => {
    c.raw(JSON.stringify({ type: 'req', id: 'big', method: 'ops.deliver', params: { lane: 'cron', sessionKey: 'k', idempotencyKey: 'big', kind: 'x', payload: 'y'.repeat(10_000) } }));
    assert.equal((await c.closed).code, 1009);
  });
});

test('frame within max payload but larger than the ring: PAYLOAD_TOO_LARGE, never truncated', async () => {
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
  await expectNothingWritten(async () => {
    const r = await c.request('chat.send', { sessionKey: 'k', message: 'x'.repeat(100_000), idempotencyKey: 'ring-big' });
    assert.equal(r.ok, false);
    assert.equal(r.error!.code, 'INVALID_REQUEST');
    assert.equal(r.error!.details.code, 'PAYLOAD_TOO_LARGE');
  });
  await c.close();
});

test('pre-connect frame over 64 KiB: close 1009', async () => {
  const c = await TestClient.open(gw.convUrl);
  await expectNothingWritten(async () => {
    c.raw(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: { pad: 'p'.repeat(70_000) } }));
    assert.equal((await c.closed).code, 1009);
  });
});

test('invalid UTF-8 in a text frame: close 1007', async () => {
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
  await expectNothingWritten(async () => {
    c.raw(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), false);
    assert.equal((await c.closed).code, 1007);
  });
});

test('binary frame: INVALID_REQUEST', async () => {
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
  await expectNothingWritten(async () => {
    c.raw(Buffer.from('{"type":"req"}'), true);
    const e = await errorOf(c);
    assert.match(e.message, /binary frames are not supported/);
  });
  await c.close();
});

test('unknown method and bad params: INVALID_REQUEST with OpenClaw wording', async () => {
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
  await expectNothingWritten(async () => {
    const u = await c.request('no.such.method', {});
    assert.equal(u.error!.code, 'INVALID_REQUEST');
    assert.equal(u.error!.message, 'unknown method: no.such.method');
  });
  await expectNothingWritten(async () => {
    const p = await c.request('chat.send', { sessionKey: 'k', message: 42 });
    assert.equal(p.error!.code, 'INVALID_REQUEST');
    assert.match(p.error!.message, /^invalid chat\.send params: message must be a string/);
  });
  await expectNothingWritten(async () => {
    const o = await c.request('ops.deliver', { lane: 'cron', sessionKey: 'k', idempotencyKey: 'i', kind: 'k', payload: 1 });
    assert.equal(o.error!.code, 'INVALID_REQUEST');
    assert.match(o.error!.message, /ops port serves it/, 'dual-port mode points to the ops port');
  });
  await c.close();
});

test('a client asking for fewer scopes is refused the others: FORBIDDEN', async () => {
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN, scopes: ['operator.read'] });
  await expectNothingWritten(async () => {
    const r = await c.request('chat.send', { sessionKey: 'k', message: 'hi', idempotencyKey: 'f1' });
    assert.equal(r.error!.code, 'FORBIDDEN');
    assert.equal(r.error!.details.code, 'MISSING_SCOPE');
    assert.equal(r.error!.details.missingScope, 'operator.write');
  });
  await c.close();
});
