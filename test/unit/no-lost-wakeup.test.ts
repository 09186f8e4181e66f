// One million records through a small ring into a real PriorityConsumer.
// The worker producer pauses at random (seeded) points, so the consumer keeps
// draining the ring, parking on its doorbell, and being woken by the next
// write; the producer keeps finding the ring full and being woken for space.
// At race points the producer writes a record just as the consumer finds
// the ring empty (the consumer's take() counts those moments in a shared
// word) and then waits for it to be read: a consumer that can sleep through
// that record fails there, naming it. Any other lost wake-up leaves the ring
// full and the producer fails after its timeout.

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
  const takes = new SharedArrayBuffer(4);
  const emptyTakes = new Int32Array(takes);
  const spec: SeqSpec = { seed: 0x10057, maxSmall: 48, nearMaxEvery: 0, maxRecordBytes: ring.maxRecordBytes };
  const data: SeqProducerData = {
    ring: sab,
    doorbell: bell,
    spec,
    count: COUNT,
    // About 4,000 short spins and 250 sleeps of up to 2 ms, each long enough
    // for the consumer to empty the ring and park, and 1,000 race points:
    // a record written just as the consumer finds the ring empty, then
    // nothing more until it has been read.
    pauses: { seed: 0xbeef, spinChance: 1 / 250, maxSpin: 20_000, sleepChance: 1 / 4000, maxSleepMs: 2, raceChance: 1 / 1000, emptyTakes: takes },
    timeoutMs: 20_000,
  };

  const stream = new SeqStream(spec);
  let seq = 0;
  let finish!: (err?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (err) => (err === undefined ? resolve() : reject(err));
  });
  const source = {
    take(max: number): number {
      const n = ring.drain(max, (view) => {
        stream.check(view, seq, stream.nextLength());
        if (++seq === COUNT) finish();
      });
      // Tells the producer's race points the consumer is about to park.
      if (n === 0) Atomics.add(emptyTakes, 0, 1);
      return n;
    },
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
  t.diagnostic(`consumer woken ${wakes} times; producer found the ring full ${String(done['fullCount'])} times, ${String(done['races'])} race points`);
  assert.ok(wakes > 0, 'the consumer never parked: the test did not exercise the wake-up path');
});
