// The ring under real cross-thread traffic: a worker produces random-size
// records (including near-max ones that force wrap markers), the main thread
// consumes with the async doorbell protocol, and a sequence verifier checks
// order, length and every byte across thousands of wraps.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RING_TAIL } from '../../src/queue/layout.js';
import { Ring } from '../../src/queue/ring.js';
import { Signal } from '../../src/queue/signal.js';
import type { SeqProducerData } from '../fixtures/seq-producer.js';
import { SeqStream, type SeqSpec } from '../helpers/seq-records.js';
import { startFixture } from '../helpers/workers.js';

const CAPACITY = 4096;
const COUNT = 40_000;
const MIN_WRAPS = 5_000;

/**
 * Consumes `count` records the way the runtime does: drain, and when the
 * ring is empty arm the doorbell, re-check, and park with Atomics.waitAsync
 * (never Atomics.wait on this thread). Yields to the event loop now and then
 * so a failing worker is noticed.
 */
async function consume(ring: Ring, doorbell: Signal, spec: SeqSpec, count: number, failed: { error: unknown }): Promise<void> {
  const stream = new SeqStream(spec);
  let seq = 0;
  let batches = 0;
  while (seq < count) {
    if (failed.error) throw failed.error;
    const n = ring.drain(64, (view) => {
      stream.check(view, seq, stream.nextLength());
      seq++;
    });
    if (n > 0) {
      if (++batches % 256 === 0) await new Promise(setImmediate);
      continue;
    }
    const seen = doorbell.arm();
    // Re-check after arming: a record written before the producer saw the
    // flag came with no wake-up.
    if (!ring.isEmpty()) {
      doorbell.disarm();
      continue;
    }
    await doorbell.waitAsync(seen);
    doorbell.disarm();
  }
}

test('random-size records survive thousands of wraps in order, byte for byte', { timeout: 120_000 }, async (t) => {
  const sab = Ring.storageFor(CAPACITY);
  const ring = new Ring(sab);
  const bell = Signal.storage();
  const doorbell = Signal.over(bell);
  const spec: SeqSpec = { seed: 0x5eed_0001, maxSmall: 1536, nearMaxEvery: 50, maxRecordBytes: ring.maxRecordBytes };
  const data: SeqProducerData = { ring: sab, doorbell: bell, spec, count: COUNT, pauses: null, timeoutMs: 30_000 };

  const producer = startFixture('seq-producer', data);
  t.after(() => producer.stop());
  const failed: { error: unknown } = { error: null };
  producer.done.catch((e: unknown) => {
    failed.error = e;
    doorbell.wake(); // release a parked consume() so it can report
  });

  await consume(ring, doorbell, spec, COUNT, failed);
  await producer.done;

  assert.ok(ring.isEmpty(), 'nothing left after the last record');
  assert.deepEqual(ring.counts(), { written: COUNT, read: COUNT });
  // The tail is a free-running byte counter: every `capacity` bytes it
  // passes is one trip round the buffer.
  const tail = Atomics.load(new Int32Array(sab), RING_TAIL) >>> 0;
  const wraps = Math.floor(tail / CAPACITY);
  t.diagnostic(`${wraps} wraps, producer found the ring full ${ring.fullCount()} times`);
  assert.ok(wraps >= MIN_WRAPS, `only ${wraps} wraps`);
});
