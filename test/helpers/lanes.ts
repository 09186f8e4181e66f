// Small records for priority tests: each is its lane's sequence number (u32),
// plus helpers to expose a ring as a PriorityConsumer LaneSource.

import type { LaneSource } from '../../src/queue/priority.js';
import type { Ring } from '../../src/queue/ring.js';

export const SEQ_RECORD_BYTES = 4;

/** Writes `seq` as one 4-byte record; false when the ring is full. */
export function writeSeq(ring: Ring, seq: number): boolean {
  const off = ring.reserve(SEQ_RECORD_BYTES);
  if (off < 0) return false;
  new DataView(ring.sab, ring.bytes.byteOffset + off, SEQ_RECORD_BYTES).setUint32(0, seq, true);
  ring.commit(SEQ_RECORD_BYTES);
  return true;
}

export function readSeq(view: Uint8Array): number {
  return new DataView(view.buffer, view.byteOffset, view.byteLength).getUint32(0, true);
}

/** The runtime's own shape of a ring lane source: drain into a handler. */
export function ringLane(ring: Ring, handle: (seq: number) => void): LaneSource {
  return {
    take: (max) => ring.drain(max, (view) => handle(readSeq(view))),
    hasWork: () => !ring.isEmpty(),
  };
}

/** Lets up to `max` event-loop turns pass until `cond()` holds; returns whether it did. */
export async function turnsUntil(cond: () => boolean, max = 1000): Promise<boolean> {
  for (let i = 0; i < max; i++) {
    if (cond()) return true;
    await new Promise(setImmediate);
  }
  return cond();
}
