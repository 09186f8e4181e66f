import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ring } from '../../src/queue/ring.js';

// Each side caches the other's index and reloads it only when the cached
// value runs out. A drain that stops at its `max` right before a wrap
// marker must still reach records written after the marker next time.

test('a drain that stops before a wrap marker finds the records written after it', () => {
  const ring = new Ring(Ring.storageFor(1024));
  const rec = new Uint8Array(300);
  let wrote = 0;
  while (ring.tryWrite(rec.fill(wrote))) wrote++;
  assert.equal(wrote, 3, 'three 300-byte records (312 ring bytes each) fit; the fourth wrote a wrap marker and was refused');
  assert.equal(ring.drainAt(wrote, () => {}), 3, 'stops at max, before the marker');
  for (let i = 0; i < 3; i++) assert.equal(ring.tryWrite(rec.fill(10 + i)), true);
  const got: number[] = [];
  ring.drain(10, (v) => got.push(v[0]!));
  assert.deepEqual(got, [10, 11, 12], 'past the marker to the new records');
});

test('the producer reloads a stale tail only when the cached one says full', () => {
  const ring = new Ring(Ring.storageFor(1024));
  const consumer = new Ring(ring.sab);
  const rec = new Uint8Array(100);
  let n = 0;
  while (ring.tryWrite(rec)) n++;
  assert.ok(n > 0);
  assert.equal(consumer.drainAt(n, () => {}), n);
  assert.equal(ring.tryWrite(rec), true, 'space freed by the other side is seen');
});
