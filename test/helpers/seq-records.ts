// A sequence verifier for ring tests (after ringbuf.js tests/): the producer
// and the consumer each build a SeqStream from the same spec, so the consumer
// knows the length and every byte the producer wrote for record `seq` and
// can tell a lost, repeated, reordered, truncated or torn record apart.

import { mix, Prng } from './prng.js';

export interface SeqSpec {
  seed: number;
  /** Ordinary records are 0..maxSmall bytes. */
  maxSmall: number;
  /** About one record in `nearMaxEvery` is within 16 bytes of maxRecordBytes (0: never). */
  nearMaxEvery: number;
  maxRecordBytes: number;
}

export class SeqStream {
  readonly #spec: SeqSpec;
  readonly #sizes: Prng;

  constructor(spec: SeqSpec) {
    this.#spec = spec;
    this.#sizes = new Prng(spec.seed);
  }

  /** Length of the next record. Both sides call this once per record, in order. */
  nextLength(): number {
    const s = this.#spec;
    if (s.nearMaxEvery > 0 && this.#sizes.int(1, s.nearMaxEvery) === 1) return s.maxRecordBytes - this.#sizes.int(0, 16);
    return this.#sizes.int(0, s.maxSmall);
  }

  /** Writes record `seq` of `len` bytes at `off`. */
  fill(bytes: Uint8Array, off: number, seq: number, len: number): void {
    fillRecord(bytes, off, this.#spec.seed, seq, len);
  }

  /** Throws, naming the first difference, unless `view` is exactly record `seq` of `len` bytes. */
  check(view: Uint8Array, seq: number, len: number): void {
    checkRecord(view, this.#spec.seed, seq, len);
  }
}

// Bytes 0..3 carry the sequence number (little-endian, as many bytes as fit),
// so an ordering error reads as "got seq X"; the rest is a stride pattern
// keyed by (seed, seq), so a record shifted or torn by even one byte differs.
const byteAt = (seq: number, j: number, base: number, step: number): number =>
  j < 4 ? (seq >>> (8 * j)) & 0xff : (base + j * step) & 0xff;

export function fillRecord(bytes: Uint8Array, off: number, seed: number, seq: number, len: number): void {
  const base = mix(seed, seq);
  const step = (base >>> 8) | 1;
  for (let j = 0; j < len; j++) bytes[off + j] = byteAt(seq, j, base, step);
}

export function checkRecord(view: Uint8Array, seed: number, seq: number, len: number): void {
  if (view.byteLength >= 4 && len >= 4) {
    const got = (view[0]! | (view[1]! << 8) | (view[2]! << 16) | (view[3]! << 24)) >>> 0;
    if (got !== seq) throw new Error(`expected record seq ${seq} (length ${len}), got seq ${got} (length ${view.byteLength})`);
  }
  if (view.byteLength !== len) throw new Error(`record ${seq}: expected length ${len}, got ${view.byteLength}`);
  const base = mix(seed, seq);
  const step = (base >>> 8) | 1;
  for (let j = 0; j < len; j++) {
    if (view[j] !== byteAt(seq, j, base, step)) {
      throw new Error(`record ${seq} (length ${len}): byte ${j} is ${view[j]}, expected ${byteAt(seq, j, base, step)}`);
    }
  }
}
