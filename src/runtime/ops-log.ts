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

/**
 * In-memory log: a circular array of the last `retention` entries and the
 * idempotency keys of exactly those entries (a key is forgotten when its
 * entry leaves retention).
 */
export class MemoryOpsLog implements OpsLog {
  readonly #retention: number;
  readonly #entries: (OpsEntry | undefined)[];
  readonly #byKey = new Map<string, number>();
  #head = 0;

  constructor(retention: number) {
    this.#retention = retention;
    this.#entries = new Array(Math.min(retention, 1 << 16));
  }

  get headSeq(): number {
    return this.#head;
  }

  get firstSeq(): number {
    return Math.max(1, this.#head - this.#retention + 1);
  }

  append(e: NewOpsEntry): { seq: number; duplicate: boolean } {
    const prior = this.#byKey.get(e.idempotencyKey);
    if (prior !== undefined) return { seq: prior, duplicate: true };
    const seq = ++this.#head;
    const slot = seq % this.#retention;
    // Grow the backing array lazily up to the retention, so a large retention costs nothing until used.
    if (slot >= this.#entries.length && this.#entries.length < this.#retention) this.#entries.length = Math.min(this.#retention, this.#entries.length * 2 + 1);
    const evicted = this.#entries[slot];
    if (evicted) this.#byKey.delete(evicted.idempotencyKey);
    this.#entries[slot] = { ...e, seq };
    this.#byKey.set(e.idempotencyKey, seq);
    return { seq, duplicate: false };
  }

  readAfter(after: number, max: number): OpsEntry[] {
    const out: OpsEntry[] = [];
    for (let s = Math.max(after + 1, this.firstSeq); s <= this.#head && out.length < max; s++) {
      out.push(this.#entries[s % this.#retention]!);
    }
    return out;
  }
}
