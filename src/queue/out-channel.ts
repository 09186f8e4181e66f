import { RING_LENGTH_BYTES } from './layout.js';
import { OUT_CONNS, OUT_COUNT, OUT_FLAGS, OUT_FLAG_MORE, OUT_KIND, OUT_MAX_CONNS, outHeaderBytes, RecordView } from './records.js';
import type { Ring } from './ring.js';
import type { Signal } from './signal.js';

interface Held {
  kind: number;
  conns: number[];
  bytes: Buffer;
  /** Bytes already written (frames larger than the ring go in parts). */
  at: number;
}

/**
 * The main thread's side of one outbound ring (main -> socket worker).
 *
 * send() never blocks the runtime: when the ring is full the frame is held
 * in order and written when the worker frees space. `backlogBytes` lets the
 * runtime stop taking ops work while a worker cannot keep up. A frame too
 * large for the ring travels as several records flagged MORE, which the
 * worker joins, so ring size never limits what may be sent. An urgent
 * channel (conversation) rings the worker's doorbell per frame; others ring
 * once per microtask batch.
 */
export class OutChannel {
  readonly #ring: Ring;
  readonly #doorbell: Signal;
  readonly #urgent: boolean;
  readonly #w: RecordView;
  readonly #buf: Buffer;
  readonly #held: Held[] = [];
  #heldHead = 0;
  #backlog = 0;
  #ringPending = false;
  #onDrain: (() => void) | null = null;
  #roomWait: Promise<void> | null = null;

  constructor(ring: Ring, doorbell: Signal, urgent: boolean) {
    this.#ring = ring;
    this.#doorbell = doorbell;
    this.#urgent = urgent;
    this.#w = new RecordView(ring);
    this.#buf = Buffer.from(ring.sab, ring.bytes.byteOffset, ring.capacity);
  }

  /** Bytes of frames held because the ring was full. */
  get backlogBytes(): number {
    return this.#backlog;
  }

  /** Called once each time the held backlog empties. */
  set onDrain(fn: () => void) {
    this.#onDrain = fn;
  }

  /** True when nothing is held and the ring has at least `bytes` free (may be stale). */
  hasRoom(bytes: number): boolean {
    return this.#held.length === this.#heldHead && this.#ring.capacity - this.#ring.usedBytes() >= bytes;
  }

  /**
   * Calls `fn` once the ring has `bytes` free (the worker wakes us as it
   * drains); one wait at a time, later calls while it is pending are
   * dropped. With frames held, onDrain is the signal instead.
   */
  onRoom(bytes: number, fn: () => void): void {
    if (this.#roomWait) return;
    this.#roomWait = this.#ring.waitForSpace(Math.min(bytes, this.#ring.maxRecordBytes)).then(() => {
      this.#roomWait = null;
      fn();
    });
  }

  send(kind: number, conns: number[], body: string): void {
    if (conns.length === 0) return;
    for (let i = 0; i < conns.length; i += OUT_MAX_CONNS) {
      const part = conns.length <= OUT_MAX_CONNS ? conns : conns.slice(i, i + OUT_MAX_CONNS);
      if (this.#held.length > this.#heldHead || !this.#writeWhole(kind, part, body)) this.#hold(kind, part, body);
    }
    this.#ringSoon();
  }

  #hold(kind: number, conns: number[], body: string): void {
    const bytes = Buffer.from(body);
    this.#held.push({ kind, conns, bytes, at: 0 });
    this.#backlog += bytes.length;
    if (this.#held.length - this.#heldHead === 1) void this.#drainHeld();
  }

  /** Fast path: the frame as one record, encoded straight into the ring. */
  #writeWhole(kind: number, conns: number[], body: string): boolean {
    const bodyLen = Buffer.byteLength(body);
    const header = outHeaderBytes(conns.length);
    if (header + bodyLen > this.#ring.maxRecordBytes) return false;
    const off = this.#ring.reserve(header + bodyLen);
    if (off < 0) return false;
    this.#header(off, kind, 0, conns);
    this.#buf.write(body, off + header, bodyLen, 'utf8');
    this.#ring.commit(header + bodyLen);
    return true;
  }

  /** Writes as much of a held frame as fits; true once all of it is in. */
  #writeHeld(h: Held): boolean {
    const header = outHeaderBytes(h.conns.length);
    const chunk = this.#chunk(header);
    do {
      const end = Math.min(h.bytes.length, h.at + chunk);
      const off = this.#ring.reserve(header + end - h.at);
      if (off < 0) return false;
      this.#header(off, h.kind, end < h.bytes.length ? OUT_FLAG_MORE : 0, h.conns);
      this.#ring.bytes.set(h.bytes.subarray(h.at, end), off + header);
      this.#ring.commit(header + end - h.at);
      this.#backlog -= end - h.at;
      h.at = end;
    } while (h.at < h.bytes.length);
    return true;
  }

  // Parts of at most half the ring, so the worker can drain one while the
  // next is written. The half counts each part's length word too, or two
  // parts never fit at once.
  #chunk(header: number): number {
    return Math.max(1, (this.#ring.capacity >> 1) - RING_LENGTH_BYTES - header);
  }

  #header(off: number, kind: number, flags: number, conns: number[]): void {
    const w = this.#w;
    w.setU8(off + OUT_KIND, kind);
    w.setU8(off + OUT_FLAGS, flags);
    w.setU16(off + OUT_COUNT, conns.length);
    for (let i = 0; i < conns.length; i++) w.setU32(off + OUT_CONNS + 4 * i, conns[i]!);
  }

  async #drainHeld(): Promise<void> {
    while (this.#held.length > this.#heldHead) {
      const h = this.#held[this.#heldHead]!;
      if (this.#writeHeld(h)) {
        this.#held[this.#heldHead++] = undefined as unknown as Held;
        this.#ringSoon();
        continue;
      }
      this.#doorbell.wake();
      const header = outHeaderBytes(h.conns.length);
      await this.#ring.waitForSpace(header + Math.min(this.#chunk(header), h.bytes.length - h.at));
    }
    this.#held.length = 0;
    this.#heldHead = 0;
    this.#onDrain?.();
  }

  #ringSoon(): void {
    if (this.#urgent) {
      this.#doorbell.wake();
      return;
    }
    if (this.#ringPending) return;
    this.#ringPending = true;
    queueMicrotask(() => {
      this.#ringPending = false;
      this.#doorbell.wake();
    });
  }
}
