// One million records through a small ring into a real PriorityConsumer.
// The worker producer pauses at random (seeded) points, so the consumer keeps
// draining the ring, parking on its doorbell, and being woken by the next
// write; the producer keeps finding the ring full and being woken for space.
// A lost wake-up on either signal leaves a record unread (or a producer
// parked) for good, and the test times out instead of finishing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGNAL_SEQ } from '../../src/queue/layout.js';
import { PriorityConsumer } from '../../src/queue/priority.js';
import { Ring } from '../../src/queue/ring.js';
import { Signal } from '../../src/queue/signal.js';
import type { SeqProducerData } from '../fixtures/seq-producer.js';
import { SeqStream, type SeqSpec } from '../helpers/seq-records.js';
import { startFixture } from '../helpers/workers.js';

const COUNT = 1_000_000;

test('no record and no wake-up is lost over 1,000,000 records', { timeout: 120_000 }, async (t) => {
  const sab = Ring.storageFor(8192);
  const ring = new Ring(sab);
  const bell = Signal.storage();
  const doorbell = Signal.over(bell);
  const spec: SeqSpec = { seed: 0x10057, maxSmall: 48, nearMaxEvery: 0, maxRecordBytes: ring.maxRecordBytes };
  const data: SeqProducerData = {
    ring: sab,
    doorbell: bell,
    spec,
    count: COUNT,
    // About 4,000 short spins and 250 sleeps of up to 2 ms: each long enough
    // for the consumer to empty the ring and park.
    pauses: { seed: 0xbeef, spinChance: 1 / 250, maxSpin: 20_000, sleepChance: 1 / 4000, maxSleepMs: 2 },
    spaceTimeoutMs: 60_000,
  };

  const stream = new SeqStream(spec);
  let seq = 0;
  let finish!: (err?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (err) => (err === undefined ? resolve() : reject(err));
  });
  const source = {
    take: (max: number) =>
      ring.drain(max, (view) => {
        stream.check(view, seq, stream.nextLength());
        if (++seq === COUNT) finish();
      }),
    hasWork: () => !ring.isEmpty(),
  };
  const consumer = new PriorityConsumer(doorbell, [source], [], {
    maxPerTurn: 1024,
    opsOpen: () => true,
    onError: (err) => finish(err), // a failed check: stop with its message
  });

  const producer = startFixture('seq-producer', data);
  t.after(async () => {
    consumer.stop();
    await producer.stop();
  });
  producer.done.catch((err: unknown) => finish(err));
  consumer.start();

  await finished;
  const done = await producer.done;
  // Read before stop(): stop() rings the doorbell itself.
  const wakes = Atomics.load(new Int32Array(bell), SIGNAL_SEQ);
  consumer.stop();

  assert.equal(seq, COUNT);
  assert.deepEqual(ring.counts(), { written: COUNT, read: COUNT });
  assert.ok(ring.isEmpty());
  // Every successful wake() bumps the doorbell's sequence word once: the
  // consumer really did park and get woken, many times.
  t.diagnostic(`consumer woken ${wakes} times; producer found the ring full ${String(done['fullCount'])} times`);
  assert.ok(wakes > 0, 'the consumer never parked: the test did not exercise the wake-up path');
});
