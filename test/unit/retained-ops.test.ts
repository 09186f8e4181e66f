import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetainedOps } from '../../src/state/retained-ops.js';
import { Prng } from '../helpers/prng.js';

const entry = (key: string) => ({ lane: 'cron' as const, sessionKey: 's', kind: 'k', idempotencyKey: key, ts: 0, payloadJson: '{}' });

test('seq starts at 1 and increases; a repeated key gets the first seq', () => {
  const log = new RetainedOps(10);
  assert.equal(log.headSeq, 0);
  assert.deepEqual(log.append(entry('a')), { seq: 1, duplicate: false });
  assert.deepEqual(log.append(entry('b')), { seq: 2, duplicate: false });
  assert.deepEqual(log.append(entry('a')), { seq: 1, duplicate: true });
  assert.equal(log.headSeq, 2);
});

test('retention keeps the last N entries; their keys leave with them', () => {
  const log = new RetainedOps(3);
  for (let i = 1; i <= 5; i++) log.append(entry(`k${i}`));
  assert.equal(log.firstSeq, 3);
  assert.deepEqual(log.readAfter(0, 100).map((e) => e.seq), [3, 4, 5]);
  assert.deepEqual(log.readAfter(3, 100).map((e) => e.seq), [4, 5]);
  assert.deepEqual(log.readAfter(3, 1).map((e) => e.seq), [4]);
  assert.equal(log.append(entry('k1')).duplicate, false, 'k1 left retention, so it is new again');
  assert.equal(log.append(entry('k5')).duplicate, true);
});

test('a large retention grows its storage lazily and wraps correctly', () => {
  const log = new RetainedOps(100_000);
  for (let i = 1; i <= 250_000; i++) log.append(entry(`x${i}`));
  assert.equal(log.firstSeq, 150_001);
  const tail = log.readAfter(249_995, 10);
  assert.deepEqual(tail.map((e) => e.idempotencyKey), ['x249996', 'x249997', 'x249998', 'x249999', 'x250000']);
});

test('every retained key is still found after the key table is rebuilt many times; evicted keys are not', () => {
  const log = new RetainedOps(1_000);
  for (let i = 1; i <= 20_000; i++) log.append(entry(`r${i}`));
  for (let i = 19_001; i <= 20_000; i++) assert.deepEqual(log.append(entry(`r${i}`)), { seq: i, duplicate: true }, `r${i}`);
  assert.equal(log.headSeq, 20_000, 'duplicates take no seq');
  assert.deepEqual(log.append(entry('r19000')), { seq: 20_001, duplicate: false }, 'r19000 left retention');
});

test('keys leave the table exactly when their entries leave retention (seeded model check)', () => {
  // A small retention and a small key pool: probe runs collide and wrap,
  // keys repeat inside retention (duplicates) and after it (new again).
  const retention = 64;
  const log = new RetainedOps(retention);
  const rand = new Prng(0x5eed);
  const seqOf = new Map<string, number>(); // the model: key -> seq while retained
  let head = 0;
  for (let i = 0; i < 50_000; i++) {
    const key = `m${rand.int(0, 199)}`;
    const known = seqOf.get(key);
    const retained = known !== undefined && known > head - retention;
    const r = log.append(entry(key));
    if (retained) {
      assert.deepEqual(r, { seq: known, duplicate: true }, `append ${i}: ${key} is retained at ${known}`);
    } else {
      head++;
      assert.deepEqual(r, { seq: head, duplicate: false }, `append ${i}: ${key} is new`);
      seqOf.set(key, head);
    }
  }
  assert.equal(log.headSeq, head);
  assert.deepEqual(
    log.readAfter(0, retention).map((e) => e.seq),
    Array.from({ length: retention }, (_, k) => head - retention + 1 + k),
  );
});

test('byte retention drops the oldest entries until the rest fit; the newest always stays', () => {
  const big = (key: string, bytes: number) => ({ ...entry(key), payloadJson: JSON.stringify('x'.repeat(bytes)) });
  const log = new RetainedOps({ entries: 1_000, bytes: 10_000, ms: 0 });
  for (let i = 1; i <= 20; i++) log.append(big(`b${i}`, 1_000));
  assert.ok(log.retainedBytes <= 10_000, `retained ${log.retainedBytes} bytes`);
  const kept = log.readAfter(0, 100).map((e) => e.seq);
  assert.equal(kept[kept.length - 1], 20);
  assert.equal(kept[0], log.firstSeq);
  assert.ok(kept.length >= 8 && kept.length < 10, `kept ${kept.length}`);
  assert.equal(log.find('b1'), 0, 'an evicted key is forgotten');
  assert.equal(log.find('b20'), 20);
  log.append(big('huge', 50_000));
  assert.deepEqual(log.readAfter(0, 100).map((e) => e.idempotencyKey), ['huge'], 'an entry larger than the limit is kept alone');
});

test('age retention drops entries older than the limit, on append and on a sweep', () => {
  const log = new RetainedOps({ entries: 1_000, bytes: 0, ms: 1_000 });
  for (let i = 1; i <= 5; i++) log.append({ ...entry(`t${i}`), ts: i * 100 });
  assert.equal(log.firstSeq, 1);
  log.append({ ...entry('t6'), ts: 1_250 });
  assert.equal(log.firstSeq, 3, 'entries at ts 100 and 200 are older than 1250 - 1000');
  assert.equal(log.trimAged(1_450), 2);
  assert.equal(log.firstSeq, 5);
  assert.equal(log.trimAged(100_000), 1, 'the newest entry stays');
  assert.deepEqual(log.readAfter(0, 10).map((e) => e.idempotencyKey), ['t6']);
});

test('with entries leaving by bytes, the index grows by live count and wraps correctly (seeded)', () => {
  const rand = new Prng(0xb17e5);
  const log = new RetainedOps({ entries: 300_000, bytes: 2_000_000, ms: 0 });
  for (let i = 1; i <= 200_000; i++) log.append({ ...entry(`w${i}`), payloadJson: JSON.stringify('y'.repeat(rand.int(0, 60))) });
  const kept = log.readAfter(0, 1_000_000);
  assert.equal(kept[0]!.seq, log.firstSeq);
  assert.equal(kept[kept.length - 1]!.seq, 200_000);
  kept.forEach((e, i) => assert.equal(e.idempotencyKey, `w${log.firstSeq + i}`));
  assert.equal(log.find(`w${log.firstSeq}`), log.firstSeq);
  assert.equal(log.find(`w${log.firstSeq - 1}`), 0);
});

test('startAfter continues the numbering of an empty window', () => {
  const log = new RetainedOps(10);
  log.startAfter(41);
  assert.equal(log.firstSeq, 42);
  assert.deepEqual(log.append(entry('n')), { seq: 42, duplicate: false });
  assert.throws(() => log.startAfter(1));
});
