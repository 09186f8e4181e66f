// The ring's boundary cases, on one thread (producer and consumer are two
// Ring objects over the same buffer, as on two threads).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, LanegateError } from '../../src/errors.js';
import { RING_HEAD, RING_LENGTH_BYTES, RING_TAIL } from '../../src/queue/layout.js';
import { Ring } from '../../src/queue/ring.js';
import { Prng } from '../helpers/prng.js';
import { SeqStream } from '../helpers/seq-records.js';

const CAPACITY = 1024;
const opts = { timeout: 10_000 };

/** A producer and a consumer over one fresh ring whose indices both start at `start`. */
function pair(start = 0): { p: Ring; c: Ring } {
  const sab = Ring.storageFor(CAPACITY);
  const ctl = new Int32Array(sab);
  ctl[RING_HEAD] = start | 0;
  ctl[RING_TAIL] = start | 0;
  return { p: new Ring(sab), c: new Ring(sab) };
}

const record = (len: number, fill: number): Uint8Array => new Uint8Array(len).fill(fill);

const isCode = (code: string) => (err: unknown) => err instanceof LanegateError && err.code === code;


describe('ring edges', () => {
  it('an empty ring reads nothing', opts, () => {
    const { c } = pair();
    assert.equal(c.read(), null);
    assert.equal(c.consume(() => assert.fail('handler called on an empty ring')), false);
    assert.equal(c.drain(10, () => {}), 0);
    assert.ok(c.isEmpty());
    assert.equal(c.usedBytes(), 0);
  });

  it('fills exactly to full, refuses the next record whole, and takes it after one read', opts, () => {
    const { p, c } = pair();
    // 56-byte records take 64 bytes with their 8-byte prefix: 16 fill 1024 exactly.
    for (let i = 0; i < 16; i++) assert.ok(p.tryWrite(record(56, i)), `record ${i} fits`);
    assert.equal(p.usedBytes(), CAPACITY);
    const before = p.bytes.slice();
    assert.equal(p.tryWrite(record(56, 99)), false);
    assert.equal(p.tryWrite(record(0, 99)), false, 'even an empty record needs its length word');
    assert.deepEqual(p.bytes, before, 'a refused write leaves no bytes behind');
    assert.equal(p.usedBytes(), CAPACITY);
    assert.equal(p.counts().written, 16);
    assert.equal(p.fullCount(), 2);

    assert.deepEqual(c.read(), record(56, 0));
    assert.ok(p.tryWrite(record(56, 16)), 'one read frees room for one record');
    for (let i = 1; i <= 16; i++) assert.deepEqual(c.read(), record(56, i), `record ${i} in order`);
    assert.equal(c.read(), null);
  });

  it('a record of exactly maxRecordBytes fits an empty ring, even with the head mid-ring', opts, () => {
    const { p, c } = pair();
    assert.equal(p.maxRecordBytes, CAPACITY - RING_LENGTH_BYTES);
    const big = record(p.maxRecordBytes, 7);
    assert.ok(p.tryWrite(big));
    assert.deepEqual(c.read(), big);

    // Real traffic moves both indices to 1024 + 64: position 64, ring empty.
    assert.ok(p.tryWrite(record(56, 1)));
    assert.deepEqual(c.read(), record(56, 1));
    assert.equal(p.tryWrite(big), false, 'cannot fit until the wrap marker is consumed');
    assert.equal(c.read(), null, 'the wrap marker is not a record');
    assert.ok(c.isEmpty());
    assert.ok(p.tryWrite(big), 'fits once the consumer has passed the marker');
    assert.deepEqual(c.read(), big);
  });

  it('refuses a record larger than maxRecordBytes with RECORD_TOO_LARGE, writing nothing', opts, () => {
    const { p, c } = pair();
    assert.throws(() => p.tryWrite(record(p.maxRecordBytes + 1, 1)), isCode(ErrorCodes.RECORD_TOO_LARGE));
    assert.throws(() => p.reserve(CAPACITY * 2), isCode(ErrorCodes.RECORD_TOO_LARGE));
    assert.ok(c.isEmpty());
    assert.equal(p.fullCount(), 0, 'too large is not "full": waiting would never help');
  });

  it('skips to the start with a wrap marker when the record does not fit before the end', opts, () => {
    let { p, c } = pair(CAPACITY - 8); // empty, 8 bytes before the end
    assert.ok(p.tryWrite(record(8, 1)), 'needs 16 bytes: marker, then the record at 0');
    assert.equal(p.usedBytes(), 8 + 16);
    assert.deepEqual(c.read(), record(8, 1));
    assert.ok(c.isEmpty());

    ({ p, c } = pair(CAPACITY - 16));
    assert.ok(p.tryWrite(record(8, 2)), 'exactly fills the end: no marker');
    assert.equal(p.usedBytes(), 16);
    assert.ok(p.tryWrite(record(8, 3)), 'the next record starts at 0');
    assert.equal(p.usedBytes(), 32);
    assert.deepEqual(c.read(), record(8, 2));
    assert.deepEqual(c.read(), record(8, 3));

    ({ p, c } = pair(CAPACITY - 8)); // room for a prefix only
    assert.ok(p.tryWrite(record(0, 0)), 'an empty record fits in the last 8 bytes');
    assert.equal(p.usedBytes(), 8);
    assert.ok(p.tryWrite(record(1, 3)), 'a 1-byte record needs 16: it starts at 0');
    assert.equal(p.usedBytes(), 8 + 16);
    assert.deepEqual(c.read(), new Uint8Array(0));
    assert.deepEqual(c.read(), record(1, 3));
    assert.ok(c.isEmpty());
  });

  it('publishes the wrap marker even when the record then does not fit, and never a partial record', opts, () => {
    const { p, c } = pair(CAPACITY - 104);
    assert.ok(p.tryWrite(record(500, 1))); // at 0..512, after a 104-byte marker
    assert.equal(p.usedBytes(), 104 + 512);
    // 408 bytes are free, 432 are needed: refused whole.
    assert.equal(p.tryWrite(record(420, 2)), false);
    assert.deepEqual(c.read(), record(500, 1));
    assert.ok(p.tryWrite(record(420, 2)));
    assert.deepEqual(c.read(), record(420, 2));
    assert.equal(c.read(), null);
  });

  it('keeps working when the free-running indices pass 2^32', opts, () => {
    const start = 2 ** 32 - 3000; // a multiple of 8, position 72
    const { p, c } = pair(start);
    assert.equal(p.usedBytes(), 0);
    const stream = new SeqStream({ seed: 42, maxSmall: 200, nearMaxEvery: 8, maxRecordBytes: p.maxRecordBytes });
    const check = new SeqStream({ seed: 42, maxSmall: 200, nearMaxEvery: 8, maxRecordBytes: p.maxRecordBytes });
    const rng = new Prng(7);
    let written = 0;
    let read = 0;
    // Interleave writes and reads at random so the ring is at every fill level as the indices wrap.
    for (let round = 0; round < 2000; round++) {
      const len = stream.nextLength();
      for (let tries = 0; ; tries++) {
        assert.ok(tries <= CAPACITY / 4, 'a draining consumer always makes room');
        const off = p.reserve(len);
        if (off >= 0) {
          stream.fill(p.bytes, off, written++, len);
          p.commit(len);
          break;
        }
        c.consume((v) => check.check(v, read++, check.nextLength()));
      }
      const reads = rng.int(0, 2);
      for (let i = 0; i < reads; i++) c.consume((v) => check.check(v, read++, check.nextLength()));
      assert.ok(p.usedBytes() <= CAPACITY, `used ${p.usedBytes()} at round ${round}`);
    }
    while (c.consume((v) => check.check(v, read++, check.nextLength())));
    assert.equal(read, written);
    const head = Atomics.load(new Int32Array(p.sab), RING_HEAD) >>> 0;
    assert.ok(head < start, `head ${head} wrapped past 2^32`);
    assert.ok(c.isEmpty());
  });

  it('storageFor accepts only powers of two from RING_MIN_CAPACITY up', opts, () => {
    for (const bad of [0, -1024, 1000, 1023, 1025, 1536, 512, 1.5, Number.NaN, 2 ** 31]) {
      assert.throws(() => Ring.storageFor(bad), isCode(ErrorCodes.RING_CAPACITY), `capacity ${bad}`);
    }
    assert.equal(new Ring(Ring.storageFor(1024)).capacity, 1024);
    assert.throws(() => new Ring(new SharedArrayBuffer(1000)), isCode(ErrorCodes.RING_CAPACITY));
  });

  it('a throwing handler does not replay its record', opts, () => {
    const { p, c } = pair();
    assert.ok(p.tryWrite(record(4, 1)));
    assert.ok(p.tryWrite(record(4, 2)));
    assert.throws(() => c.consume(() => { throw new Error('handler failed'); }), /handler failed/);
    assert.deepEqual(c.read(), record(4, 2));
    assert.equal(c.read(), null);
  });
});
