import type { Logger } from '../../log.js';
import type { LaneSource } from '../../queue/priority.js';
import { LocalQueue } from '../../runtime/local-queue.js';
import type { NewOpsEntry, OpsEntry } from '../ops-log.js';
import { redisKeys } from './keys.js';
import { SOCKET_TIMEOUT_MS, type Client, type RedisLink } from './link.js';
import { resumable } from './position.js';
import { RedisOpsLog, type AppendResult, type Retention } from './redis-ops-log.js';
import { RedisTail, type FeedReset } from './tail.js';

/** Appends in flight before the log reports itself backlogged (the runtime then stops taking deliveries). */
export const MAX_IN_FLIGHT = 2_048;
/**
 * How long an acknowledged append waits for this instance's tail to
 * forward it before it resolves anyway (the tail's connection is down; the
 * entry is in Redis and the tail forwards it once it reconnects).
 */
const FEED_WAIT_MS = SOCKET_TIMEOUT_MS;

interface Waiter {
  seq: number;
  since: number;
  done: () => void;
}

/**
 * The ops log shared through Redis, in the shape of the runtime's OpsLog:
 * appends through the script (acked once Redis answered and this
 * instance's feed has forwarded the entry, so a caught-up local subscriber
 * has its event before the producer has its ack, as with the embedded
 * logs), the feed from the tail (every instance's appends, in seq order),
 * resumes judged on generations and fences (position.ts).
 *
 * Append results resolve through `completions`, a LaneSource the runtime
 * takes as ops work, so Redis replies never jump ahead of a waiting chat.
 */
export class RedisSharedLog {
  readonly link: RedisLink;
  readonly #log: RedisOpsLog;
  readonly #tail: RedisTail;
  readonly #logger: Logger;
  readonly #entryListeners = new Set<(e: OpsEntry) => void>();
  readonly #resetListeners = new Set<(r: FeedReset) => void>();
  readonly #queue = new LocalQueue();
  #waiters: Waiter[] = [];
  #inFlight = 0;
  #firstSeq = 1;
  #timer: NodeJS.Timeout;
  /** Wakes the runtime's consumer when completions are queued (set by the runtime). */
  wake: () => void = () => {};
  readonly completions: LaneSource = this.#queue;
  readonly feed = {
    subscribe: (listener: (e: OpsEntry) => void): (() => void) => {
      this.#entryListeners.add(listener);
      return () => this.#entryListeners.delete(listener);
    },
    onReset: (listener: (r: FeedReset) => void): (() => void) => {
      this.#resetListeners.add(listener);
      return () => this.#resetListeners.delete(listener);
    },
  };

  private constructor(link: RedisLink, tailClient: Client, prefix: string, retention: Retention, logger: Logger) {
    this.link = link;
    this.#logger = logger;
    const keys = redisKeys(prefix);
    this.#log = new RedisOpsLog(link, keys, retention);
    this.#tail = new RedisTail({
      client: tailClient,
      log: this.#log,
      streamKey: keys.log,
      onEntry: (e) => this.#onEntry(e),
      onReset: (r) => this.#onReset(r),
      onPosition: (p) => (this.#firstSeq = p.firstSeq),
      logger,
    });
    this.#timer = setInterval(() => this.#expireWaiters(), 1_000).unref();
  }

  /**
   * Reads the position and starts the tail on an opened link. A Redis not
   * reachable yet is not an error: the log starts unavailable and becomes
   * available once Redis answers (the tail reads the position then).
   */
  static async open(link: RedisLink, prefix: string, retention: Retention, logger: Logger): Promise<RedisSharedLog> {
    const state = link.state;
    const shared = new RedisSharedLog(link, await link.dedicated('tail'), prefix, retention, logger);
    const pos = state === 'up' ? await shared.#log.position().catch(() => null) : null;
    shared.#tail.start(pos);
    return shared;
  }

  /** The epoch of the last position read ('' until Redis has answered once). */
  get epoch(): string {
    return this.#tail.position?.epoch ?? '';
  }

  /** The last seq this instance's feed forwarded (live subscriptions start after it). */
  get headSeq(): number {
    return this.#tail.seq;
  }

  /** The lowest retained seq as last read (may lag behind trims; replays check density). */
  get firstSeq(): number {
    return this.#firstSeq;
  }

  /** Redis answers and the log's position is known: deliveries and resumes can be served. */
  get available(): boolean {
    return this.link.state === 'up' && this.#tail.position !== null;
  }

  get backlogged(): boolean {
    return this.#inFlight >= MAX_IN_FLIGHT;
  }

  /** Feed resets so far (for /metrics). */
  get resets(): number {
    return this.#tail.resets;
  }

  /** Whether a cursor resumes without a gap: its generation is in the data set's history and below every later fence. */
  resumable(epoch: string | undefined, afterSeq: number): boolean {
    const pos = this.#tail.position;
    if (!pos) return false;
    return resumable({ ...pos, headSeq: this.#tail.seq, firstSeq: this.#firstSeq }, epoch, afterSeq);
  }

  /**
   * Numbers and stores a delivery. Resolves (through `completions`) once
   * Redis ran the script and this instance's feed forwarded the entry;
   * rejects with LANEGATE_ERR_REDIS_UNAVAILABLE when Redis did not answer,
   * so nothing unstored is ever acknowledged.
   */
  append(e: NewOpsEntry): Promise<AppendResult> {
    this.#inFlight++;
    return new Promise<AppendResult>((resolve, reject) => {
      const settle = (fn: () => void): void => {
        this.#queue.push(() => {
          this.#inFlight--;
          fn();
        });
        this.wake();
      };
      this.#log.append(e).then(
        (r) => {
          if (r.seq <= this.#tail.seq) settle(() => resolve(r));
          else this.#waiters.push({ seq: r.seq, since: Date.now(), done: () => settle(() => resolve(r)) });
        },
        (err: unknown) => settle(() => reject(err)),
      );
    });
  }

  readAfter(after: number, max: number): Promise<OpsEntry[]> {
    return this.#log.readAfter(after, max);
  }

  /** Resolves once no append is in flight (Redis has answered each, or failed it). */
  async sync(): Promise<void> {
    while (this.#inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  }

  /** Stops the tail; the owner closes the link, then awaits the returned promise. */
  close(): Promise<void> {
    clearInterval(this.#timer);
    for (const w of this.#waiters.splice(0)) w.done();
    return this.#tail.stop();
  }

  #onEntry(e: OpsEntry): void {
    for (const l of this.#entryListeners) l(e);
    if (this.#waiters.length === 0) return;
    // Appends are acknowledged in about seq order: scan from the front, keep the rest.
    const keep: Waiter[] = [];
    for (const w of this.#waiters) (w.seq <= e.seq ? w.done() : keep.push(w));
    this.#waiters = keep;
  }

  #onReset(r: FeedReset): void {
    for (const l of this.#resetListeners) l(r);
    for (const w of this.#waiters.splice(0)) w.done();
  }

  #expireWaiters(): void {
    const cutoff = Date.now() - FEED_WAIT_MS;
    if (!this.#waiters.some((w) => w.since < cutoff)) return;
    this.#logger.warn({ waiting: this.#waiters.length }, 'acknowledging deliveries stored in Redis before this instance read them back (its stream reader is reconnecting)');
    const keep: Waiter[] = [];
    for (const w of this.#waiters) (w.since < cutoff ? w.done() : keep.push(w));
    this.#waiters = keep;
  }
}
