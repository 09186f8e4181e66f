import type { OpsLane } from '../protocol/methods.js';

/** One accepted operations delivery, numbered by the log. */
export interface OpsEntry {
  /** Global log position: starts at 1, strictly increasing across sessions and lanes. */
  seq: number;
  lane: OpsLane;
  sessionKey: string;
  kind: string;
  idempotencyKey: string;
  ts: number;
  /** The delivery's payload as JSON text, stored and forwarded unparsed. */
  payloadJson: string;
}

export type NewOpsEntry = Omit<OpsEntry, 'seq'>;

/**
 * The operations log: numbering, retention and idempotency. A small
 * interface so a shared store (Redis Streams, for several instances) can
 * replace the in-memory default without touching the runtime.
 */
export interface OpsLog {
  /** Appends and numbers an entry, or returns the earlier entry's seq for a repeated idempotencyKey. */
  append(entry: NewOpsEntry): { seq: number; duplicate: boolean };
  /** Highest seq handed out (0 when empty). */
  readonly headSeq: number;
  /** Lowest seq still retained (headSeq + 1 when empty). */
  readonly firstSeq: number;
  /** Retained entries with seq > after, in order, at most `max`. */
  readAfter(after: number, max: number): OpsEntry[];
}
