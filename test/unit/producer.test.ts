// RingProducer (a socket worker's side of an inbound ring): full means
// hold-in-order and stall, never drop; resume once everything held is in.
// Producer and consumer share this thread: the test drains the ring itself.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingProducer } from '../../src/queue/producer.js';
import { IN_CONN, IN_HEADER_BYTES, IN_KIND, IN_LANE, RecordView } from '../../src/queue/records.js';
import { Ring } from '../../src/queue/ring.js';
import { Signal } from '../../src/queue/signal.js';
import { turnsUntil } from '../helpers/lanes.js';

const opts = { timeout: 10_000 };
// 108-byte records, 120 bytes in the ring with their prefix and padding: 8
// fit in 1024, and the 9th needs the wrap, whose marker publishes the 8
// (records pushed in one turn are otherwise published on the next microtask).
const BODY = 92;

interface Rig {
  ring: Ring;
  producer: RingProducer;
  events: string[];
  /** Drains what the ring holds now into `got` as "kind/lane/conn/body". */
  drain(): number;
  got: string[];
}

function rig(onStall?: (r: Rig) => void): Rig {
  const ring = new Ring(Ring.storageFor(1024));
  const reader = new RecordView(ring);
  const at = (v: Uint8Array): number => v.byteOffset - ring.bytes.byteOffset;
  const events: string[] = [];
  const r: Rig = {
    ring,
    events,
    got: [],
    producer: new RingProducer(ring, Signal.over(Signal.storage()), {
      onStall: () => {
        events.push('stall');
        onStall?.(r);
      },
      onResume: () => events.push(`resume after ${ring.counts().written} written`),
    }),
    drain: () =>
      ring.drain(1000, (v) => {
        const body = Buffer.from(v.subarray(IN_HEADER_BYTES)).toString();
        r.got.push(`${reader.u8(at(v) + IN_KIND)}/${reader.u8(at(v) + IN_LANE)}/${reader.u32(at(v) + IN_CONN)}/${body}`);
      }),
  };
  return r;
}

const body = (i: number): string => String(i).padStart(BODY, '.');
const expected = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => `1/0/${from + k}/${body(from + k)}`);

describe('RingProducer', () => {
  it('holds records in order when full, stalls once, and resumes once all are in', opts, async () => {
    const r = rig();
    for (let i = 0; i < 8; i++) assert.equal(r.producer.push(1, 0, i, body(i)), true, `record ${i} fits`);
    // 20 more: 2400 bytes, more than the whole ring, so they drain in several rounds.
    for (let i = 8; i < 28; i++) assert.equal(r.producer.push(1, 0, i, Buffer.from(body(i))), false, `record ${i} is held`);
    assert.ok(r.producer.stalled);
    assert.deepEqual(r.events, ['stall']);

    for (let round = 0; r.producer.stalled; round++) {
      assert.ok(round < 20, 'held records keep moving while the consumer drains');
      assert.ok(r.drain() > 0);
      await turnsUntil(() => r.ring.usedBytes() > 0 || !r.producer.stalled);
      if (r.producer.stalled) assert.deepEqual(r.events, ['stall'], 'no resume while records are still held');
    }
    r.drain();
    assert.deepEqual(r.events, ['stall', 'resume after 28 written']);
    assert.deepEqual(r.got, expected(0, 28));
    assert.equal(r.producer.stalls, 1);
    assert.equal(r.producer.push(1, 0, 28, body(28)), true, 'writes go straight in again');
  });

  it('does not resume before push() has returned false, even if space frees at once', opts, async () => {
    // The caller pauses its socket when push() returns false and resumes it
    // in onResume. A consumer on another thread can free space at any
    // moment; here onStall stands in for it by draining the ring.
    const r = rig((rr) => rr.drain());
    for (let i = 0; i < 8; i++) assert.equal(r.producer.push(1, 0, i, body(i)), true);
    const accepted = r.producer.push(1, 0, 8, body(8));
    r.events.push(`push returned ${accepted}`);
    assert.ok(await turnsUntil(() => !r.producer.stalled));
    assert.deepEqual(r.events, ['stall', 'push returned false', 'resume after 9 written']);
    r.drain();
    assert.deepEqual(r.got, expected(0, 9));
  });
});
