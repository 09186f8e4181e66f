import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteArena } from '../../src/state/byte-arena.js';

const MiB = 1 << 20;

function put(arena: ByteArena, text: string): number {
  const { address, view } = arena.alloc(Buffer.byteLength(text));
  view.write(text);
  return address;
}

test('freed chunks are reused for new ones, and what is retained still reads back', () => {
  const arena = new ByteArena();
  const entry = 'x'.repeat(1000);
  const addrs: number[] = [];
  // About 5 chunks of entries.
  for (let i = 0; i < 5 * 1000; i++) addrs.push(put(arena, `${i}:${entry}`));
  const chunksBefore = arena.bytes / MiB;
  assert.ok(chunksBefore >= 5, `5 chunks or more (${chunksBefore})`);
  // Free everything before entry 4000 (in the fourth chunk): three whole chunks go, at most two are kept.
  arena.freeBefore(addrs[4000]!);
  assert.equal(arena.spareChunks, 2);
  assert.equal(arena.bytes / MiB, chunksBefore - 3);
  // New entries fill the current chunk, then take the spares before allocating.
  for (let i = 5000; i < 7000; i++) addrs.push(put(arena, `${i}:${entry}`));
  assert.equal(arena.spareChunks, 0);
  for (const i of [4000, 4999, 5000, 6999]) assert.equal(arena.read(addrs[i]!, `${i}:${entry}`.length).toString(), `${i}:${entry}`);
});

test('a record larger than a chunk gets its own, which is not kept for reuse', () => {
  const arena = new ByteArena();
  const big = put(arena, 'b'.repeat(MiB + 10));
  const next = put(arena, 'after');
  assert.equal(arena.read(big, 3).toString(), 'bbb');
  arena.freeBefore(next);
  assert.equal(arena.spareChunks, 0);
  assert.equal(arena.read(next, 5).toString(), 'after');
});
