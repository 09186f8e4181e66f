// PriorityConsumer ordering on one thread: conv records always before the
// next ops record, and the opsOpen gate. (Interleaved traffic from a worker
// is in priority-interleaved.test.ts.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PriorityConsumer, type PriorityOptions } from '../../src/queue/priority.js';
import { Ring } from '../../src/queue/ring.js';
import { Signal } from '../../src/queue/signal.js';
import { ringLane, turnsUntil, writeSeq } from '../helpers/lanes.js';

const opts = { timeout: 10_000 };

interface Rig {
  conv: Ring;
  ops: Ring;
  doorbell: Signal;
  /** Handled records in order: 'c3' is conv record 3, 'o0' ops record 0. */
  log: string[];
  start(options: Partial<PriorityOptions>, onOps?: (seq: number) => void): PriorityConsumer;
  /** Resolves once `n` records have been handled. */
  handled(n: number): Promise<void>;
}

function rig(): Rig {
  const conv = new Ring(Ring.storageFor(1024));
  const ops = new Ring(Ring.storageFor(1024));
  const doorbell = Signal.over(Signal.storage());
  const log: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const note = (entry: string): void => {
    log.push(entry);
    for (const w of waiters) if (log.length === w.n) w.resolve();
  };
  let consumer: PriorityConsumer | null = null;
  return {
    conv,
    ops,
    doorbell,
    log,
    start(options, onOps) {
      consumer = new PriorityConsumer(
        doorbell,
        [ringLane(conv, (s) => note(`c${s}`))],
        [ringLane(ops, (s) => (note(`o${s}`), onOps?.(s)))],
        { maxPerTurn: 8, opsOpen: () => true, onError: (e) => assert.fail(e as Error), ...options },
      );
      consumer.start();
      return consumer;
    },
    handled(n) {
      return log.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

const seqs = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('PriorityConsumer', () => {
  it('takes every waiting conv record before the first ops record', opts, async () => {
    const r = rig();
    for (let i = 0; i < 40; i++) assert.ok(writeSeq(r.ops, i));
    for (let i = 0; i < 25; i++) assert.ok(writeSeq(r.conv, i));
    // 8 per turn: the conv backlog spans several turns and must still come first.
    const consumer = r.start({});
    await r.handled(65);
    consumer.stop();
    assert.deepEqual(r.log, [...seqs('c', 0, 25), ...seqs('o', 0, 40)]);
  });

  it('takes conv records that arrive during an ops record before the next ops record', opts, async () => {
    const r = rig();
    for (let i = 0; i < 12; i++) assert.ok(writeSeq(r.ops, i));
    let conv = 0;
    // While handling ops record k, k % 3 conv records arrive.
    const consumer = r.start({}, (k) => {
      for (let i = 0; i < k % 3; i++) assert.ok(writeSeq(r.conv, conv++));
    });
    await r.handled(12 + 12);
    consumer.stop();
    const expected: string[] = [];
    let c = 0;
    for (let k = 0; k < 12; k++) {
      expected.push(`o${k}`);
      for (let i = 0; i < k % 3; i++) expected.push(`c${c++}`);
    }
    assert.deepEqual(r.log, expected);
  });

  it('takes no ops record while opsOpen() is false, and resumes on kick() after it reopens', opts, async () => {
    const r = rig();
    for (let i = 0; i < 10; i++) assert.ok(writeSeq(r.ops, i));
    for (let i = 0; i < 3; i++) assert.ok(writeSeq(r.conv, i));
    let open = true;
    // The third ops handler closes the gate, as outbound backpressure would.
    const consumer = r.start({ opsOpen: () => open }, (k) => {
      if (k === 2) open = false;
    });
    await r.handled(3 + 3);
    assert.ok(await turnsUntil(() => r.doorbell.isArmed()), 'consumer parks with the gate closed');
    assert.deepEqual(r.log, [...seqs('c', 0, 3), ...seqs('o', 0, 3)]);

    // Conv still flows while ops are gated (its producer rings the doorbell).
    assert.ok(writeSeq(r.conv, 3));
    r.doorbell.wake();
    await r.handled(7);
    assert.ok(await turnsUntil(() => r.doorbell.isArmed()));
    assert.equal(r.log.at(-1), 'c3');

    // Reopening alone does not wake a parked consumer: nothing rings.
    open = true;
    await turnsUntil(() => false, 20);
    assert.equal(r.log.length, 7, 'no ops record without kick()');

    consumer.kick();
    await r.handled(14);
    consumer.stop();
    assert.deepEqual(r.log.slice(7), seqs('o', 3, 10));
  });
});
