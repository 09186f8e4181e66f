import { IN_CONN, IN_HEADER_BYTES, IN_KIND, IN_LANE, IN_TIME, nowMs, RecordView } from './records.js';
import type { Ring } from './ring.js';
import type { Signal } from './signal.js';

export interface ProducerHooks {
  /** The ring just became full (a record is held). */
  onStall(): void;
  /** Everything held back is in the ring again: resume what was paused. */
  onResume(): void;
}

interface Held {
  kind: number;
  lane: number;
  connId: number;
  stamp: number;
  body: Uint8Array;
}

/**
 * A socket worker's side of one inbound ring.
 *
 * push() writes the record at once when it fits and returns true. When it
 * does not, the record is held (copied) and push() returns false: the caller
 * stops reading that socket (TCP then pushes back on its sender) until
 * onResume. The producer waits for space with Atomics.waitAsync, so the
 * worker keeps sending and serving other sockets meanwhile. Records pushed while held ones
 * wait queue behind them, so order is kept and nothing accepted is dropped.
 * The doorbell rings once per microtask batch, not once per record.
 */
export class RingProducer {
  readonly #ring: Ring;
  readonly #doorbell: Signal;
  readonly #hooks: ProducerHooks;
  readonly #w: RecordView;
  readonly #buf: Buffer;
  readonly #held: Held[] = [];
  #heldHead = 0;
  #ringPending = false;
  #stalls = 0;

  constructor(ring: Ring, doorbell: Signal, hooks: ProducerHooks) {
    this.#ring = ring;
    this.#doorbell = doorbell;
    this.#hooks = hooks;
    this.#w = new RecordView(ring);
    this.#buf = Buffer.from(ring.sab, ring.bytes.byteOffset, ring.capacity);
  }

  /** Largest body a record may carry on this ring. */
  get maxBody(): number {
    return this.#ring.maxRecordBytes - IN_HEADER_BYTES;
  }

  /** Times this producer found the ring full and stalled its sockets. */
  get stalls(): number {
    return this.#stalls;
  }

  get stalled(): boolean {
    return this.#held.length > this.#heldHead;
  }

  /**
   * Queues one record; `body` must be at most maxBody bytes (callers check).
   * Returns false when the record was held because the ring is full.
   */
  push(kind: number, lane: number, connId: number, body: Uint8Array | string): boolean {
    const stamp = nowMs();
    if (!this.stalled && this.#write(kind, lane, connId, stamp, body)) {
      this.#ringSoon();
      return true;
    }
    // Copy: a ws message buffer may be a view into a larger socket chunk.
    const copy = typeof body === 'string' ? Buffer.from(body) : new Uint8Array(body);
    this.#held.push({ kind, lane, connId, stamp, body: copy });
    if (this.#held.length - this.#heldHead === 1) {
      this.#stalls++;
      this.#hooks.onStall();
      void this.#drainHeld();
    }
    return false;
  }

  #write(kind: number, lane: number, connId: number, stamp: number, body: Uint8Array | string): boolean {
    const bodyLen = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const off = this.#ring.reserve(IN_HEADER_BYTES + bodyLen);
    if (off < 0) return false;
    const w = this.#w;
    w.setU8(off + IN_KIND, kind);
    w.setU8(off + IN_LANE, lane);
    w.setU32(off + IN_CONN, connId);
    w.setF64(off + IN_TIME, stamp);
    if (typeof body === 'string') this.#buf.write(body, off + IN_HEADER_BYTES, bodyLen, 'utf8');
    else this.#ring.bytes.set(body, off + IN_HEADER_BYTES);
    // Published once per microtask batch, with the doorbell (#ringSoon).
    this.#ring.commit(IN_HEADER_BYTES + bodyLen, false);
    return true;
  }

  async #drainHeld(): Promise<void> {
    // Start only after push() has returned false: its caller pauses the
    // socket on that false. Were the first retry to succeed right here (the
    // consumer thread may free space at any moment), onResume would run
    // before that pause, and nothing would ever resume the socket.
    await Promise.resolve();
    while (this.stalled) {
      const h = this.#held[this.#heldHead]!;
      if (this.#write(h.kind, h.lane, h.connId, h.stamp, h.body)) {
        this.#held[this.#heldHead++] = undefined as unknown as Held;
        continue;
      }
      // The consumer must see what is written and be awake to make room.
      this.#ring.publish();
      this.#doorbell.wake();
      await this.#ring.waitForSpace(IN_HEADER_BYTES + h.body.byteLength);
    }
    this.#held.length = 0;
    this.#heldHead = 0;
    this.#ring.publish();
    this.#doorbell.wake();
    this.#hooks.onResume();
  }

  #ringSoon(): void {
    if (this.#ringPending) return;
    this.#ringPending = true;
    queueMicrotask(() => {
      this.#ringPending = false;
      this.#ring.publish();
      this.#doorbell.wake();
    });
  }
}
