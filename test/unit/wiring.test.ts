import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildWiring, freshWorkerRings, inboundRings, ringViews, socketWorkerInit, type Wiring } from '../../src/gateway/wiring.js';
import { loadConfig } from '../../src/config.js';
import { Lane, OutKind } from '../../src/queue/records.js';
import { Ring } from '../../src/queue/ring.js';
import { HIGH_PRIORITY_PER_TURN, LOW_PRIORITY_PER_TURN } from '../../src/socket/outbound.js';

const SIZES = { convRingBytes: 1 << 16, opsRingBytes: 1 << 17, outRingBytes: 1 << 18 };
const dual = { ...SIZES, opsPort: 0 };
const single = { ...SIZES, opsPort: null };

/** Every SharedArrayBuffer of a wiring, with where it is used. */
function buffers(w: Wiring): Map<SharedArrayBuffer, string[]> {
  const uses = new Map<SharedArrayBuffer, string[]>();
  const add = (sab: SharedArrayBuffer | null, what: string): void => {
    if (sab) uses.set(sab, [...(uses.get(sab) ?? []), what]);
  };
  add(w.inDoorbell, 'inDoorbell');
  add(w.gate, 'gate');
  for (const e of w.edges) add(e.sab, `edge ${e.port}`);
  for (const r of w.workers) {
    add(r.convRing, `${r.role} convRing`);
    add(r.opsRing, `${r.role} opsRing`);
    add(r.outDoorbell, `${r.role} outDoorbell`);
    r.outRings.forEach((s, i) => add(s, `${r.role} outRings[${i}]`));
  }
  return uses;
}

/** The out ring a channel writes into: written through the channel, read back from each candidate ring. */
function ringOfChannel(ch: { send(kind: number, conns: number[], body: string): void }, rings: SharedArrayBuffer[]): number {
  ch.send(OutKind.FRAME, [1], 'probe');
  const hit = rings.findIndex((sab) => !new Ring(sab).isEmpty());
  for (const sab of rings) new Ring(sab).drainAt(100, () => {});
  return hit;
}

test('dual-port: each socket worker has its own rings and doorbell; no buffer is shared between the two', () => {
  const w = buildWiring(dual);
  assert.equal(w.single, false);
  assert.ok(w.gate, 'dual-port has the conversation gate');
  assert.deepEqual(
    w.workers.map((r) => [r.role, r.index]),
    [
      ['conv', 0],
      ['ops', 1],
    ],
  );
  const [conv, ops] = w.workers as [Wiring['workers'][0], Wiring['workers'][0]];
  assert.equal(conv.opsRing, null, 'the conv worker does not produce into the ops ring');
  assert.equal(ops.convRing, null, 'the ops worker does not produce into the conv ring');
  assert.deepEqual(conv.outPerTurn, [HIGH_PRIORITY_PER_TURN]);
  assert.deepEqual(ops.outPerTurn, [LOW_PRIORITY_PER_TURN]);
  // Ring sizes come from the config.
  assert.equal(new Ring(conv.convRing!).capacity, SIZES.convRingBytes);
  assert.equal(new Ring(ops.opsRing!).capacity, SIZES.opsRingBytes);
  for (const s of [...conv.outRings, ...ops.outRings]) assert.equal(new Ring(s).capacity, SIZES.outRingBytes);
  // Every buffer has one place in the wiring: no ring or doorbell is shared between the two workers.
  for (const [, uses] of buffers(w)) assert.equal(uses.length, 1, `used once: ${uses.join(', ')}`);
  // The runtime's channels write into the rings the workers drain.
  assert.equal(ringOfChannel(conv.out[Lane.CONV], conv.outRings), 0);
  assert.equal(conv.out[Lane.OPS], conv.out[Lane.CONV], 'the conv worker has one out ring for both lanes');
  assert.equal(ringOfChannel(ops.out[Lane.OPS], ops.outRings), 0);
  // The runtime consumes each worker's inbound ring, tagged with that worker's index.
  assert.deepEqual(
    inboundRings(w).map((r) => [r.name, r.lane, r.worker, r.sab === (r.lane === Lane.CONV ? conv.convRing : ops.opsRing)]),
    [
      ['conv', Lane.CONV, 0, true],
      ['ops', Lane.OPS, 1, true],
    ],
  );
  assert.deepEqual(
    ringViews(w).map((v) => v.name),
    ['conv', 'ops', 'conv-out', 'ops-out'],
  );
  assert.deepEqual(
    w.edges.map((e) => e.port),
    ['conv', 'ops'],
  );
});

test('single-port: one worker produces into both inbound rings and drains chat frames before ops events', () => {
  const w = buildWiring(single);
  assert.equal(w.single, true);
  assert.equal(w.gate, null);
  assert.equal(w.workers.length, 1);
  const conv = w.workers[0]!;
  assert.ok(conv.convRing && conv.opsRing && conv.convRing !== conv.opsRing, 'ops traffic still lands in its own ring');
  assert.equal(conv.outRings.length, 2);
  assert.deepEqual(conv.outPerTurn, [HIGH_PRIORITY_PER_TURN, LOW_PRIORITY_PER_TURN], 'chat frames first');
  assert.equal(ringOfChannel(conv.out[Lane.CONV], conv.outRings), 0);
  assert.equal(ringOfChannel(conv.out[Lane.OPS], conv.outRings), 1, 'ops events go to the second out ring');
  assert.deepEqual(
    inboundRings(w).map((r) => [r.name, r.lane, r.worker]),
    [
      ['conv', Lane.CONV, 0],
      ['ops', Lane.OPS, 0],
    ],
  );
  assert.deepEqual(
    ringViews(w).map((v) => v.name),
    ['conv', 'ops', 'conv-out', 'conv-ops-out'],
  );
  for (const [, uses] of buffers(w)) assert.equal(uses.length, 1, `used once: ${uses.join(', ')}`);
});

test('fresh rings for one worker (a restart) share no buffer with its old ones and keep its role and index', () => {
  for (const cfg of [dual, single]) {
    const w = buildWiring(cfg);
    for (const old of w.workers) {
      const fresh = freshWorkerRings(cfg, old.role, old.index);
      assert.equal(fresh.role, old.role);
      assert.equal(fresh.index, old.index);
      assert.deepEqual(fresh.views.map((v) => v.name), old.views.map((v) => v.name));
      assert.deepEqual(fresh.outPerTurn, old.outPerTurn);
      const before = new Set(buffers(w).keys());
      for (const sab of [fresh.convRing, fresh.opsRing, fresh.outDoorbell, ...fresh.outRings]) if (sab) assert.ok(!before.has(sab), 'a new buffer');
      assert.deepEqual(fresh.inbound.map((r) => [r.name, r.lane, r.worker]), old.inbound.map((r) => [r.name, r.lane, r.worker]));
    }
  }
});

test('socket worker start messages: the right rings, limits and counters for each role and mode', () => {
  const config = { ...loadConfig({ LANEGATE_OPS_PORT: '18790', LANEGATE_OPS_NICE: '7', LANEGATE_CONV_MAX_PAYLOAD: '2048', LANEGATE_OPS_MAX_PAYLOAD: '4096' }), ...SIZES };
  const w = buildWiring(config);
  const ctx = { config, wiring: w, startedAt: 1, serverVersion: 'lanegate-test', defaultAgentId: 'main', opsEpoch: 'test-epoch', opsUrl: 'ws://127.0.0.1:18790', webchatPort: 18789 };
  const conv = socketWorkerInit(ctx, w.workers[0]!, 4321);
  const ops = socketWorkerInit(ctx, w.workers[1]!, 18790);
  assert.equal(conv.port, 4321, 'the port given (a restart reuses the one the worker got)');
  assert.deepEqual([conv.role, conv.maxPayload, conv.nice, conv.opsUrl, conv.singlePort], ['conv', 2048, 0, 'ws://127.0.0.1:18790', false]);
  assert.deepEqual([ops.role, ops.maxPayload, ops.nice, ops.opsUrl], ['ops', 4096, 7, null]);
  assert.equal(conv.security.counters, w.edges[0]!.sab);
  assert.equal(ops.security.counters, w.edges[1]!.sab);
  assert.equal(conv.convRing, w.workers[0]!.convRing);
  assert.equal(ops.opsRing, w.workers[1]!.opsRing);
  assert.equal(conv.gate, ops.gate, 'both workers share the conversation gate');
  assert.equal(conv.inDoorbell, ops.inDoorbell, 'and the runtime doorbell');

  const sConfig = { ...config, opsPort: null };
  const s = buildWiring(sConfig);
  const one = socketWorkerInit({ ...ctx, config: sConfig, wiring: s, opsUrl: null }, s.workers[0]!, 0);
  assert.equal(one.maxPayload, 4096, 'single-port: the conv port takes ops-sized frames');
  assert.equal(one.singlePort, true);
  assert.ok(one.convRing && one.opsRing);
  assert.equal(one.gate, null);
});
