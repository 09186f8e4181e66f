import type { OpsLane } from '../protocol/methods.js';
import type { LaneSource } from '../queue/priority.js';

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

/** What an append answers: the entry's seq, and whether its idempotencyKey had been appended before. */
export interface AppendResult {
  seq: number;
  /** True when the key was already in the log: `seq` is the first entry's, nothing was appended. */
  duplicate: boolean;
}

/**
 * The ordered feed of entries as they become visible (durable under the
 * log's mode), each exactly once, in seq order. The hub fans out from here
 * rather than from its own appends, so a shared log (Redis) can feed it
 * entries appended by other instances too.
 */
export interface OpsFeed {
  /** Registers the listener; returns its removal. */
  subscribe(listener: (e: OpsEntry) => void): () => void;
}

/**
 * The operations log: numbering, retention, idempotency and durability.
 * Implementations: MemoryOpsLog (nothing kept across restarts), DiskOpsLog
 * (the state directory), and later a Redis log shared by several instances.
 *
 * Contract:
 * - `append` resolves once the entry is durable under the log's mode
 *   (LANEGATE_FSYNC) and has been given to the feed's listeners; appends
 *   resolve in the order they were made. A repeated idempotencyKey
 *   resolves with the first entry's seq and `duplicate: true`, and only
 *   once that first entry is itself durable. It rejects (with a
 *   LanegateError) only when the store cannot take the entry.
 * - An entry is visible (in `readAfter`, `headSeq`, the feed) only once it
 *   is durable: a subscriber never sees a seq that a crash could take back.
 * - `epoch` names this log's history: a new random id whenever the log is
 *   created anew (state wiped, `:memory:` restarted, unrecoverable), so a
 *   cursor from another epoch is never taken for one of this log's seqs.
 */
export interface OpsLog {
  readonly epoch: string;
  /** Highest visible seq (0 when empty). May lag for a shared log (the last seen). */
  readonly headSeq: number;
  /** Lowest seq still retained (headSeq + 1 when empty). */
  readonly firstSeq: number;
  readonly feed: OpsFeed;
  /**
   * Work the log needs done on the runtime's thread at ops priority (taking
   * finished writes and resolving their appends): the runtime takes it
   * like an ops record, conversation first. Absent when the log needs none.
   */
  readonly completions?: LaneSource;
  /** True while the log wants the runtime to stop taking new deliveries (its write backlog is full). */
  readonly backlogged?: boolean;
  append(entry: NewOpsEntry): Promise<AppendResult>;
  /** Visible entries with seq > after, in order, at most `max`. */
  readAfter(after: number, max: number): Promise<OpsEntry[]>;
  /** Resolves once everything appended so far is durable and visible (whatever LANEGATE_FSYNC says): for drain. */
  sync(): Promise<void>;
  /** Syncs, then releases files and threads. Appends after close reject. */
  close(): Promise<void>;
}

/** A feed with a listener list: what the embedded logs use. */
export class FeedListeners implements OpsFeed {
  #listeners: ((e: OpsEntry) => void)[] = [];

  subscribe(listener: (e: OpsEntry) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  emit(e: OpsEntry): void {
    for (const l of this.#listeners) l(e);
  }
}
