import { randomUUID } from 'node:crypto';
import { ErrorCodes, LanegateError } from '../errors.js';
import { FeedListeners, type AppendResult, type NewOpsEntry, type OpsEntry, type OpsLog } from './ops-log.js';
import { RetainedOps, type Retention } from './retained-ops.js';

/** How often a quiet log drops entries past the age limit. */
export const AGE_SWEEP_MS = 1_000;

/**
 * The ops log of LANEGATE_STATE_DIR=:memory:: the retained window and
 * nothing else, so a restart starts a new epoch (an old cursor is then
 * answered `recovered: false`, never matched against new seqs). An append
 * is visible and resolved at once: there is nothing to wait for.
 */
export class MemoryOpsLog implements OpsLog {
  readonly epoch = randomUUID();
  readonly feed = new FeedListeners();
  readonly #window: RetainedOps;
  readonly #sweep: NodeJS.Timeout | null;
  #closed = false;

  constructor(retention: Retention | number) {
    this.#window = new RetainedOps(retention);
    const ms = typeof retention === 'number' ? 0 : retention.ms;
    this.#sweep = ms > 0 ? setInterval(() => this.#window.trimAged(Date.now()), AGE_SWEEP_MS).unref() : null;
  }

  get headSeq(): number {
    return this.#window.headSeq;
  }

  get firstSeq(): number {
    return this.#window.firstSeq;
  }

  /** Arena bytes in use (for status). */
  get bytes(): number {
    return this.#window.bytes;
  }

  append(e: NewOpsEntry): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new LanegateError(ErrorCodes.STATE_CLOSED, 'the ops log is closed'));
    const r = this.#window.append(e);
    if (!r.duplicate) {
      // Field by field, not `{ ...e, seq }`: with the spread, the main
      // thread's young-generation collections promoted far more under a
      // flood, and their pauses are where chats wait (docs/architecture.md).
      const entry: OpsEntry = {
        seq: r.seq,
        lane: e.lane,
        sessionKey: e.sessionKey,
        kind: e.kind,
        idempotencyKey: e.idempotencyKey,
        ts: e.ts,
        payloadJson: e.payloadJson,
      };
      this.feed.emit(entry);
    }
    return Promise.resolve(r);
  }

  readAfter(after: number, max: number): Promise<OpsEntry[]> {
    return Promise.resolve(this.#window.readAfter(after, max));
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#sweep) clearInterval(this.#sweep);
    return Promise.resolve();
  }
}
