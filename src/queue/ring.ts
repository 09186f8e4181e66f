import { ErrorCodes, LanegateError } from '../errors.js';
import {
  RING_ALIGN,
  RING_HEAD,
  RING_HEADER_BYTES,
  RING_LENGTH_BYTES,
  RING_MAX_CAPACITY,
  RING_MIN_CAPACITY,
  RING_SPACE_PARKED,
  RING_SPACE_SEQ,
  RING_SPACE_WANTED,
  RING_STAT_FULL,
  RING_STAT_READ,
  RING_STAT_WRITTEN,
  RING_TAIL,
  RING_WRAP_MARKER,
} from './layout.js';
import { Signal } from './signal.js';

const align = (n: number): number => (n + (RING_ALIGN - 1)) & ~(RING_ALIGN - 1);

/**
 * Single-producer single-consumer byte ring over a SharedArrayBuffer.
 *
 * Records are variable length: an 8-byte prefix (the length word, then
 * padding), then the bytes, padded to 8 (layout.ts says why). A record
 * that does not fit before the end of the buffer is preceded by a wrap
 * marker and written at the start, so every record is contiguous
 * and readable in place. Head and tail are free-running uint32 byte counters;
 * capacity is a power of two, so `index & mask` is the position and
 * `head - tail` the bytes in use, across 2^32 wrap-around too.
 *
 * Each side keeps its own index in a field, loads the other side's index
 * with Atomics.load, copies, and publishes only its own index with
 * Atomics.store (which orders the plain byte copies before it).
 *
 * One instance per side: the producer thread and the consumer thread each
 * wrap the same SharedArrayBuffer in their own Ring.
 */
export class Ring {
  readonly capacity: number;
  /** Largest record this ring can ever hold (it needs the whole ring). */
  readonly maxRecordBytes: number;
  /** The data region, for reserve()/commit() writers and in-place readers. */
  readonly bytes: Uint8Array;
  readonly sab: SharedArrayBuffer;
  readonly #ctl: Int32Array;
  readonly #words: Int32Array;
  readonly #mask: number;
  readonly #space: Signal;
  #head: number;
  #tail: number;
  /** Producer's last view of the tail (reloaded only when space seems short). */
  #tailSeen: number;
  /** Consumer's last view of the head (reloaded only when it seems empty). */
  #headSeen: number;
  #written: number;
  #read: number;
  #reservedPos = -1;

  /** Allocates a ring whose data region holds `capacity` bytes. */
  static storageFor(capacity: number): SharedArrayBuffer {
    if (!Number.isInteger(capacity) || capacity < RING_MIN_CAPACITY || capacity > RING_MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      throw new LanegateError(
        ErrorCodes.RING_CAPACITY,
        `ring capacity ${capacity} must be a power of two from ${RING_MIN_CAPACITY} to ${RING_MAX_CAPACITY}`,
      );
    }
    return new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
  }

  constructor(sab: SharedArrayBuffer) {
    const capacity = sab.byteLength - RING_HEADER_BYTES;
    if (capacity < RING_MIN_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      throw new LanegateError(ErrorCodes.RING_CAPACITY, `buffer of ${sab.byteLength} bytes is not a ring (use Ring.storageFor)`);
    }
    this.sab = sab;
    this.capacity = capacity;
    this.maxRecordBytes = capacity - RING_LENGTH_BYTES;
    this.#mask = capacity - 1;
    this.#ctl = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.#words = new Int32Array(sab, RING_HEADER_BYTES, capacity / 4);
    this.bytes = new Uint8Array(sab, RING_HEADER_BYTES, capacity);
    this.#space = new Signal(this.#ctl, RING_SPACE_PARKED, RING_SPACE_SEQ);
    this.#head = Atomics.load(this.#ctl, RING_HEAD) >>> 0;
    this.#tail = Atomics.load(this.#ctl, RING_TAIL) >>> 0;
    this.#tailSeen = this.#tail;
    this.#headSeen = this.#head;
    this.#written = this.#ctl[RING_STAT_WRITTEN]! >>> 0;
    this.#read = this.#ctl[RING_STAT_READ]! >>> 0;
  }

  // ---------------------------------------------------------------- producer

  /**
   * Reserves `length` contiguous bytes for the next record and returns their
   * offset in `bytes`, or -1 when the ring is too full right now (the caller
   * keeps the record and waits: see waitForSpace). Throws
   * LANEGATE_ERR_RECORD_TOO_LARGE when no amount of waiting would help.
   * Fill the bytes, then call commit(length).
   */
  reserve(length: number): number {
    if (length > this.maxRecordBytes) {
      throw new LanegateError(
        ErrorCodes.RECORD_TOO_LARGE,
        `record of ${length} bytes exceeds the ring's largest record (${this.maxRecordBytes} bytes)`,
      );
    }
    const need = RING_LENGTH_BYTES + align(length);
    let pos = this.#head & this.#mask;
    const toEnd = this.capacity - pos;
    // Worst case this record needs the rest of the buffer (wrap marker) plus itself.
    const worst = need > toEnd ? toEnd + need : need;
    // Free space only grows behind our back, so the cached tail gives a safe
    // lower bound; the shared tail is loaded only when that bound is short.
    let free = this.capacity - ((this.#head - this.#tailSeen) >>> 0);
    if (free < worst) {
      this.#tailSeen = Atomics.load(this.#ctl, RING_TAIL) >>> 0;
      free = this.capacity - ((this.#head - this.#tailSeen) >>> 0);
    }
    if (need > toEnd) {
      if (toEnd > free) return this.#full();
      // Publish the wrap marker on its own: the consumer can skip it and
      // free that space while we wait for room at the start.
      this.#words[pos >> 2] = RING_WRAP_MARKER;
      this.#head = (this.#head + toEnd) >>> 0;
      Atomics.store(this.#ctl, RING_HEAD, this.#head);
      free -= toEnd;
      pos = 0;
    }
    if (need > free) return this.#full();
    this.#reservedPos = pos;
    return pos + RING_LENGTH_BYTES;
  }

  /**
   * Completes the record reserved by the last successful reserve() and, by
   * default, publishes it. A producer writing a batch may pass
   * `publish = false` and call publish() once at the end: one shared store
   * per batch instead of one per record.
   */
  commit(length: number, publish = true): void {
    const pos = this.#reservedPos;
    this.#reservedPos = -1;
    this.#words[pos >> 2] = length;
    this.#head = (this.#head + RING_LENGTH_BYTES + align(length)) >>> 0;
    this.#ctl[RING_STAT_WRITTEN] = ++this.#written;
    if (publish) Atomics.store(this.#ctl, RING_HEAD, this.#head);
  }

  /** Makes every committed record visible to the consumer. */
  publish(): void {
    Atomics.store(this.#ctl, RING_HEAD, this.#head);
  }

  /**
   * Copies `record` in and publishes it (or leaves it for publish() when
   * `publish` is false). False when full: nothing written, never partial.
   */
  tryWrite(record: Uint8Array, publish = true): boolean {
    const off = this.reserve(record.byteLength);
    if (off < 0) return false;
    this.bytes.set(record, off);
    this.commit(record.byteLength, publish);
    return true;
  }

  /**
   * Resolves once at least `length` bytes of record fit (or at once if they
   * already do). Does not block the event loop: it parks on the ring's space
   * signal with Atomics.waitAsync, and the consumer wakes it.
   */
  async waitForSpace(length: number): Promise<void> {
    // Unpublished records would never be consumed: make them visible first.
    this.publish();
    for (;;) {
      const wanted = this.#publishWanted(length);
      const sleep = this.#space.sleepUnless(() => this.#freeBytes() >= wanted);
      if (!sleep) return;
      await sleep;
    }
  }

  /** Synchronous variant for producer threads that serve no sockets (tests, benchmarks). */
  waitForSpaceSync(length: number, timeoutMs = Infinity): boolean {
    this.publish();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const wanted = this.#publishWanted(length);
      const seen = this.#space.arm();
      if (this.#freeBytes() >= wanted) {
        this.#space.disarm();
        return true;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.#space.disarm();
        return false;
      }
      this.#space.waitSync(seen, left);
      this.#space.disarm();
    }
  }

  /**
   * Free bytes that let reserve() make progress: room for the record where
   * it would go, or, when it must wrap, room for the wrap marker (reserve
   * writes the marker, and the next wait asks for the record at the start).
   */
  #publishWanted(length: number): number {
    const need = RING_LENGTH_BYTES + align(length);
    const toEnd = this.capacity - (this.#head & this.#mask);
    const wanted = need <= toEnd ? need : toEnd;
    Atomics.store(this.#ctl, RING_SPACE_WANTED, wanted);
    return wanted;
  }

  #freeBytes(): number {
    return this.capacity - ((this.#head - Atomics.load(this.#ctl, RING_TAIL)) >>> 0);
  }

  #full(): number {
    this.#ctl[RING_STAT_FULL]!++;
    return -1;
  }

  // ---------------------------------------------------------------- consumer

  /**
   * Hands the next record to `fn` as a view into the ring, then releases its
   * space. The view is valid only during the call: copy what you keep.
   * Returns false when the ring is empty (as of the head load).
   */
  consume(fn: (view: Uint8Array) => void): boolean {
    return this.drain(1, fn) === 1;
  }

  /**
   * Hands up to `max` records to `fn`, each as a view valid only during its
   * call, and releases their space once for the whole batch.
   */
  drain(max: number, fn: (view: Uint8Array) => void): number {
    return this.drainAt(max, (start, length) => fn(this.bytes.subarray(start, start + length)));
  }

  /**
   * The allocation-free form of drain(): hands each record as its offset
   * in `bytes` and its length. The bytes stay valid only during the call.
   * Publishes the new tail once for the batch, then wakes a producer parked
   * for space if its record now fits.
   */
  drainAt(max: number, fn: (start: number, length: number) => void): number {
    let head = this.#headSeen;
    let tail = this.#tail;
    let n = 0;
    try {
      while (n < max) {
        // The cached head is a safe bound; reload it only on reaching it.
        if (tail === head) {
          head = this.#headSeen = Atomics.load(this.#ctl, RING_HEAD) >>> 0;
          if (tail === head) break;
        }
        const pos = tail & this.#mask;
        const len = this.#words[pos >> 2]!;
        if (len === RING_WRAP_MARKER) {
          tail = (tail + this.capacity - pos) >>> 0;
          continue;
        }
        if (len < 0 || len > this.maxRecordBytes) {
          throw new LanegateError(ErrorCodes.RECORD_CORRUPT, `ring record length ${len} at ${pos} is impossible`);
        }
        // Advance before the call so a throwing handler cannot replay the record.
        tail = (tail + RING_LENGTH_BYTES + align(len)) >>> 0;
        n++;
        fn(pos + RING_LENGTH_BYTES, len);
      }
    } finally {
      if (tail !== this.#tail) this.#release(tail, n);
    }
    return n;
  }

  /** Copies the next record out, or returns null when empty. */
  read(): Uint8Array | null {
    let out: Uint8Array | null = null;
    this.drainAt(1, (start, length) => {
      out = this.bytes.slice(start, start + length);
    });
    return out;
  }

  #release(tail: number, n: number): void {
    this.#tail = tail;
    Atomics.store(this.#ctl, RING_TAIL, tail);
    if (n > 0) this.#ctl[RING_STAT_READ] = this.#read = (this.#read + n) >>> 0;
    if (this.#space.isArmed()) {
      const used = (Atomics.load(this.#ctl, RING_HEAD) - tail) >>> 0;
      // Wake a parked producer only once its record fits and a quarter of
      // the ring is free: waking it for every record freed makes the two
      // threads trade one record per wake-up (measured: 16 KiB records moved
      // at a third of the rate).
      const wanted = Math.max(Atomics.load(this.#ctl, RING_SPACE_WANTED), this.capacity >>> 2);
      if (this.capacity - used >= wanted || used === 0) this.#space.wake();
    }
  }

  // ------------------------------------------------------------------ either

  /** True when no record is waiting (may be stale the moment it returns). */
  isEmpty(): boolean {
    return Atomics.load(this.#ctl, RING_HEAD) === Atomics.load(this.#ctl, RING_TAIL);
  }

  /** Bytes in use, including padding and wrap markers (a snapshot). */
  usedBytes(): number {
    return (Atomics.load(this.#ctl, RING_HEAD) - Atomics.load(this.#ctl, RING_TAIL)) >>> 0;
  }

  /** Times the producer found the ring full so far (a statistic: may be a moment stale). */
  fullCount(): number {
    return this.#ctl[RING_STAT_FULL]! >>> 0;
  }

  /** Records written and read so far (uint32, wraps; statistics: may be a moment stale). */
  counts(): { written: number; read: number } {
    return { written: this.#ctl[RING_STAT_WRITTEN]! >>> 0, read: this.#ctl[RING_STAT_READ]! >>> 0 };
  }
}
