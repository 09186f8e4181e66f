// Record layouts between the socket workers and the main-thread runtime.
// Every record is one ring record; the fields below are byte offsets in it.
// Numbers are little-endian. Bodies are UTF-8 JSON.

import type { Ring } from './ring.js';

// ------------------------------------------------------------------ inbound
// worker -> main: [kind u8][lane u8][reserved u16][connId u32][enqueuedAt f64][body]

export const IN_KIND = 0;
export const IN_LANE = 1;
export const IN_CONN = 4;
export const IN_TIME = 8;
export const IN_HEADER_BYTES = 16;

export const InKind = {
  /** A validated request frame from an authenticated connection. */
  REQUEST: 1,
  /** A connection finished its handshake; body is its ConnInfo. */
  OPEN: 2,
  /** A connection closed; no body. Sent on every ring the connection used. */
  CLOSE: 3,
  /**
   * A validated ops.deliver whose body is its routing strings, then the
   * payload's own JSON (protocol/deliver-record.ts): the runtime stores the
   * payload unparsed.
   */
  REQUEST_WITH_PAYLOAD: 4,
} as const;
export type InKind = (typeof InKind)[keyof typeof InKind];

export const Lane = { CONV: 0, OPS: 1 } as const;
export type LaneId = (typeof Lane)[keyof typeof Lane];

// ----------------------------------------------------------------- outbound
// main -> worker: [kind u8][flags u8][count u16][connId u32 x count][padding to 8][body]

export const OUT_KIND = 0;
export const OUT_FLAGS = 1;
export const OUT_COUNT = 2;
export const OUT_CONNS = 4;

export const OutKind = {
  /** Send the body as one text frame to each connection. */
  FRAME: 1,
  /**
   * The body is an event frame without its closing brace; the worker appends
   * `,"seq":N}` with each connection's own event counter.
   */
  EVENT: 2,
  /** Close each connection; body is {code, reason}. */
  CLOSE: 3,
} as const;
export type OutKind = (typeof OutKind)[keyof typeof OutKind];

/** Flag: more parts of this frame follow; the worker joins them in order. */
export const OUT_FLAG_MORE = 1;

/** Most connections one outbound record may address; larger fan-outs split. */
export const OUT_MAX_CONNS = 4096;

/**
 * Header bytes of an outbound record addressed to `count` connections,
 * padded to 8 so the body starts 8-byte aligned: the worker copies each
 * body out of shared memory, and V8 does that word by word only for
 * alike-aligned offsets (see RING_LENGTH_BYTES).
 */
export const outHeaderBytes = (count: number): number => (OUT_CONNS + 4 * count + 7) & ~7;

/**
 * Reads and writes record fields in place, at offsets into a ring's data
 * region (the `start` a drainAt() callback or reserve() hands out, plus the
 * field offset). One DataView per ring, so no record costs an allocation.
 */
export class RecordView {
  readonly #dv: DataView;
  constructor(ring: Ring) {
    this.#dv = new DataView(ring.sab, ring.bytes.byteOffset, ring.capacity);
  }
  u8(off: number): number {
    return this.#dv.getUint8(off);
  }
  u16(off: number): number {
    return this.#dv.getUint16(off, true);
  }
  u32(off: number): number {
    return this.#dv.getUint32(off, true);
  }
  f64(off: number): number {
    return this.#dv.getFloat64(off, true);
  }
  setU8(off: number, v: number): void {
    this.#dv.setUint8(off, v);
  }
  setU16(off: number, v: number): void {
    this.#dv.setUint16(off, v, true);
  }
  setU32(off: number, v: number): void {
    this.#dv.setUint32(off, v, true);
  }
  setF64(off: number, v: number): void {
    this.#dv.setFloat64(off, v, true);
  }
}

/** Wall-clock milliseconds that agree across threads (queue-wait stamps). */
export const nowMs = (): number => performance.timeOrigin + performance.now();
