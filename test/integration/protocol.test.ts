import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// The conversation protocol as OpenClaw clients use it, and the ops
// methods' ordering and replay guarantees.

let gw: RunningGateway;
before(async () => {
  gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_OPS_RETENTION: '50' });
});
after(async () => {
  await gw.stop();
});

const KEY = 'agent:main:main';

test('hello-ok carries protocol 4, methods, events, policy and auth', async () => {
  const c = await TestClient.connect(gw.convUrl);
  const p = c.hello!.payload;
  assert.equal(p.type, 'hello-ok');
  assert.equal(p.protocol, 4);
  assert.match(p.server.version, /^lanegate-/);
  assert.ok(p.features.methods.includes('chat.send'));
  assert.ok(!p.features.methods.includes('ops.deliver'), 'dual-port: ops methods live on the ops port');
  assert.ok(p.features.events.includes('chat'));
  assert.equal(p.policy.tickIntervalMs, 30000);
  assert.ok(p.policy.maxPayload > 0);
  assert.deepEqual(p.auth.scopes.sort(), ['operator.read', 'operator.write', 'ops.read', 'ops.write']);
  await c.close();
});

test('chat.send: ack with runId, cumulative deltas, final; per-run and per-connection seq', async () => {
  const c = await TestClient.connect(gw.convUrl);
  const { ack, final } = await chatOnce(c, KEY, 'hello streaming world', 'run-stream');
  assert.deepEqual(ack.payload, { runId: 'run-stream', status: 'started' });
  const chat = c.frames.filter((f) => f.event === 'chat' && f.payload.runId === 'run-stream');
  const deltas = chat.filter((f) => f.payload.state === 'delta');
  assert.ok(deltas.length >= 2, 'streamed in several deltas');
  assert.equal(deltas.at(-1)!.payload.deltaText, 'hello streaming world');
  assert.equal(final.payload.state, 'final');
  assert.equal(final.payload.message.content[0].text, 'hello streaming world');
  const runSeqs = c.frames.filter((f) => (f.event === 'chat' || f.event === 'agent') && f.payload.runId === 'run-stream').map((f) => f.payload.seq);
  assert.deepEqual(runSeqs, runSeqs.map((_, i) => i + 1), 'per-run seq counts 1, 2, 3, ...');
  // The run's first chat event precedes its agent lifecycle start (the OpenClaw TUI needs
  // that order when the whole run arrives with the ack; docs/protocol.md "Using OpenClaw clients").
  const kinds = c.frames
    .filter((f) => (f.event === 'chat' || f.event === 'agent') && f.payload.runId === 'run-stream')
    .map((f) => (f.event === 'chat' ? `chat:${f.payload.state}` : `agent:${f.payload.stream}:${f.payload.data.phase ?? ''}`));
  assert.deepEqual(kinds.slice(0, 3), ['chat:delta', 'agent:lifecycle:start', 'agent:assistant:']);
  assert.deepEqual(kinds.slice(-2), ['chat:final', 'agent:lifecycle:end']);
  const frameSeqs = c.frames.filter((f) => f.type === 'event' && f.seq !== undefined).map((f) => f.seq!);
  assert.deepEqual(frameSeqs, frameSeqs.map((_, i) => i + 1), 'per-connection event seq counts 1, 2, 3, ...');
  await c.close();
});

test('chat.send with a repeated idempotencyKey runs once', async () => {
  const c = await TestClient.connect(gw.convUrl);
  await chatOnce(c, 'dedupe', 'once', 'run-dedupe');
  const again = await c.request('chat.send', { sessionKey: 'dedupe', message: 'once', idempotencyKey: 'run-dedupe' });
  assert.deepEqual(again.payload, { runId: 'run-dedupe', status: 'ok' });
  const h = await c.request('chat.history', { sessionKey: 'dedupe' });
  assert.equal(h.payload.messages.length, 2, 'one user message, one reply');
  await c.close();
});

test('chat.history with afterSeq returns only newer entries', async () => {
  const c = await TestClient.connect(gw.convUrl);
  await chatOnce(c, 'hist', 'first', 'h1');
  const full = await c.request('chat.history', { sessionKey: 'hist' });
  const head = full.payload.headSeq;
  assert.equal(head, 2);
  await chatOnce(c, 'hist', 'second', 'h2');
  const newer = await c.request('chat.history', { sessionKey: 'hist', afterSeq: head });
  assert.deepEqual(
    newer.payload.messages.map((m: any) => [m.seq, m.role, m.content[0].text]),
    [
      [3, 'user', 'second'],
      [4, 'assistant', 'second'],
    ],
  );
  await c.close();
});

test('agent: accepted, agent events, then a final res with the same id', async () => {
  const c = await TestClient.connect(gw.convUrl);
  const id = c.nextId();
  const first = await c.requestWithId(id, 'agent', { message: 'agent says hi', idempotencyKey: 'agent-run' }, 5000);
  assert.equal(first.payload.status, 'accepted');
  assert.equal(first.payload.runId, 'agent-run');
  const final = await c.waitFor((f) => f.type === 'res' && f.id === id && f.payload?.status !== 'accepted');
  assert.equal(final.payload.status, 'ok');
  assert.equal(final.payload.result.payloads[0].text, 'agent says hi');
  const streams = c.frames.filter((f) => f.event === 'agent' && f.payload.runId === 'agent-run').map((f) => f.payload.stream);
  assert.equal(streams[0], 'lifecycle');
  assert.ok(streams.includes('assistant'));
  assert.equal(streams.at(-1), 'lifecycle');
  await c.close();
});

test('ops: ack once numbered, dedupe by idempotencyKey, replay after afterSeq with no gap or duplicate', async () => {
  const pub = await TestClient.connect(gw.opsUrl!);
  const seqs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await pub.request('ops.deliver', { lane: 'cron', sessionKey: 'ops-s', idempotencyKey: `rep-${i}`, kind: 'cron.done', payload: { i } });
    assert.equal(r.payload.accepted, true);
    seqs.push(r.payload.seq);
  }
  const dup = await pub.request('ops.deliver', { lane: 'cron', sessionKey: 'ops-s', idempotencyKey: 'rep-3', kind: 'cron.done', payload: { i: 3 } });
  assert.deepEqual(dup.payload, { accepted: true, seq: seqs[3], duplicate: true });

  const sub = await TestClient.connect(gw.opsUrl!);
  const got: Frame[] = [];
  sub.onEvent = (f) => f.event === 'ops' && got.push(f);
  const r = await sub.request('ops.subscribe', { afterSeq: seqs[4], sessionKey: 'ops-s' });
  assert.equal(r.payload.recovered, true);
  // Live deliveries racing the replay.
  for (let i = 10; i < 15; i++) await pub.request('ops.deliver', { lane: 'cron', sessionKey: 'ops-s', idempotencyKey: `rep-${i}`, kind: 'cron.done', payload: { i } });
  await sub.waitFor((f) => f.event === 'ops' && f.payload.payload.i === 14);
  assert.deepEqual(
    got.map((f) => f.payload.payload.i),
    [5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
  );
  await Promise.all([pub.close(), sub.close()]);
});

test('ops.subscribe beyond retention answers recovered:false and replays what is retained', async () => {
  const pub = await TestClient.connect(gw.opsUrl!);
  let last = 0;
  for (let i = 0; i < 60; i++) last = (await pub.request('ops.deliver', { lane: 'system', sessionKey: 'ret', idempotencyKey: `ret-${i}`, kind: 'k', payload: i })).payload.seq;
  const sub = await TestClient.connect(gw.opsUrl!);
  const r = await sub.request('ops.subscribe', { afterSeq: 0, sessionKey: 'ret' });
  assert.equal(r.payload.recovered, false, 'retention is 50: the oldest are gone');
  assert.equal(r.payload.headSeq, last);
  await sub.waitFor((f) => f.event === 'ops' && f.payload.seq === last);
  const replayed = sub.frames.filter((f) => f.event === 'ops').map((f) => f.payload.seq);
  assert.equal(replayed[0], r.payload.firstSeq);
  await Promise.all([pub.close(), sub.close()]);
});

test('the ops epoch: in hello-ok snapshot.opsEpoch and every ops.subscribe answer; a cursor from another epoch is not recovered', async () => {
  const pub = await TestClient.connect(gw.opsUrl!);
  const epoch = pub.hello!.payload.snapshot.opsEpoch as string;
  assert.match(epoch, /^[0-9a-f-]{36}$/);
  const conv = await TestClient.connect(gw.convUrl);
  assert.equal(conv.hello!.payload.snapshot.opsEpoch, epoch, 'both ports name the same log');
  const seq = (await pub.request('ops.deliver', { lane: 'system', sessionKey: 'ep', idempotencyKey: 'ep-1', kind: 'k', payload: 1 })).payload.seq as number;

  const same = await TestClient.connect(gw.opsUrl!);
  const r1 = await same.request('ops.subscribe', { afterSeq: seq - 1, epoch, sessionKey: 'ep' });
  assert.equal(r1.payload.recovered, true);
  assert.equal(r1.payload.epoch, epoch);
  await same.waitFor((f) => f.event === 'ops' && f.payload.seq === seq);

  const other = await TestClient.connect(gw.opsUrl!);
  const r2 = await other.request('ops.subscribe', { afterSeq: seq - 1, epoch: 'an-epoch-from-before-a-wipe', sessionKey: 'ep' });
  assert.equal(r2.payload.recovered, false, 'the seq is in range, but it belongs to another history');
  assert.equal(r2.payload.epoch, epoch);
  await other.waitFor((f) => f.event === 'ops' && f.payload.seq === seq);
  await Promise.all([pub.close(), conv.close(), same.close(), other.close()]);
});

test('HTTP: /healthz live, /readyz ready, unknown path 404', async () => {
  const h = await fetch(`${gw.httpUrl}/healthz`);
  assert.deepEqual(await h.json(), { ok: true, status: 'live' });
  const r = await fetch(`${gw.httpUrl}/readyz`);
  assert.equal(r.status, 200);
  assert.equal((await fetch(`${gw.httpUrl}/nope`)).status, 404);
});
