// Priority under live traffic: a worker writes conv and ops records while the
// main-thread PriorityConsumer handles them. Checked at every ops record:
// since the previous ops record, the consumer looked at the conv ring and
// found it empty. Checked for every conv record: it waited behind at most
// one ops record's handling (the design's bound).
//
// Why not simply assert convRing.isEmpty() inside the ops handler: the
// worker may publish a conv record after the consumer's conv check and
// before that assertion, which is correct behaviour but would fail the test.
// The checks below only count records that were visible at the decision.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PriorityConsumer } from '../../src/queue/priority.js';
import { Ring } from '../../src/queue/ring.js';
import { Signal } from '../../src/queue/signal.js';
import { CTL_BYTES, CTL_OPS_ALLOWED, CTL_OPS_HANDLED, type InterleaveData } from '../helpers/interleave.js';
import { readSeq } from '../helpers/lanes.js';
import { startFixture } from '../helpers/workers.js';

const BURSTS = 300;
const MAX_CONV = 3 * BURSTS;

test('conv records arriving during ops work are taken before the next ops record', { timeout: 60_000 }, async (t) => {
  const data: InterleaveData = {
    conv: Ring.storageFor(4096),
    ops: Ring.storageFor(16384), // holds every ops record: the gate may stop main from draining it
    doorbell: Signal.storage(),
    control: new SharedArrayBuffer(CTL_BYTES),
    stamps: new SharedArrayBuffer(4 * MAX_CONV),
    seed: 0x9a7e,
    initialOps: 400, // more than bursts + lag: an ops backlog outlives every burst
    bursts: BURSTS,
    lag: 4,
    waitTimeoutMs: 20_000,
  };
  const conv = new Ring(data.conv);
  const ops = new Ring(data.ops);
  const ctl = new Int32Array(data.control);
  const doorbell = Signal.over(data.doorbell);

  let convSeq = 0;
  let opsHandled = 0;
  let convSeenEmpty = false; // a conv take found nothing since the last ops record
  let convWithOpsPending = 0;
  const handledAt = new Int32Array(MAX_CONV); // opsHandled when each conv record was handled
  let totals: { conv: number; ops: number } | null = null;

  let finish!: (err?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (err) => (err === undefined ? resolve() : reject(err));
  });
  const maybeDone = (): void => {
    if (totals && convSeq === totals.conv && opsHandled === totals.ops) finish();
  };

  const convLane = {
    take(max: number): number {
      const took = conv.drain(max, (view) => {
        assert.equal(readSeq(view), convSeq, 'conv records in order');
        if (!ops.isEmpty()) convWithOpsPending++;
        handledAt[convSeq++] = opsHandled;
        maybeDone();
      });
      convSeenEmpty = took === 0;
      return took;
    },
    hasWork: () => !conv.isEmpty(),
  };
  const opsLane = {
    take: (max: number) =>
      ops.drain(max, (view) => {
        assert.equal(readSeq(view), opsHandled, 'ops records in order');
        assert.ok(convSeenEmpty, `ops record ${opsHandled} taken without first finding the conv ring empty`);
        assert.ok(opsHandled < Atomics.load(ctl, CTL_OPS_ALLOWED), `ops record ${opsHandled} taken while opsOpen() was false`);
        convSeenEmpty = false;
        Atomics.store(ctl, CTL_OPS_HANDLED, ++opsHandled);
        Atomics.notify(ctl, CTL_OPS_HANDLED);
        maybeDone();
      }),
    hasWork: () => !ops.isEmpty(),
  };
  const consumer = new PriorityConsumer(doorbell, [convLane], [opsLane], {
    maxPerTurn: 16,
    opsOpen: () => opsHandled < Atomics.load(ctl, CTL_OPS_ALLOWED),
    onError: (err) => finish(err),
  });

  const producer = startFixture('interleave-producer', data);
  t.after(async () => {
    consumer.stop();
    await producer.stop();
  });
  producer.done.then(
    (m) => {
      totals = { conv: m['conv'] as number, ops: m['ops'] as number };
      maybeDone();
    },
    (err: unknown) => finish(err),
  );
  consumer.start();
  await finished;
  consumer.stop();

  const total = totals!;
  const stamps = new Int32Array(data.stamps);
  let waitedBehindOne = 0;
  for (let k = 0; k < total.conv; k++) {
    const behind = handledAt[k]! - stamps[k]!;
    assert.ok(behind <= 1, `conv record ${k} waited behind ${behind} ops records`);
    if (behind === 1) waitedBehindOne++;
  }
  t.diagnostic(`${total.conv} conv, ${total.ops} ops; ${waitedBehindOne} conv records waited for one ops handler`);
  assert.equal(convWithOpsPending, total.conv, 'every conv record met pending ops work');
  assert.ok(ops.isEmpty() && conv.isEmpty());
});
