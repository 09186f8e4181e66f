import { once } from 'node:events';
import type { Logger } from '../../log.js';
import type { OpsEntry } from '../ops-log.js';
import type { Client } from './link.js';
import { fenceSince, type RedisPosition } from './position.js';
import { decodeEntries, type RedisOpsLog } from './redis-ops-log.js';

/** Entries taken per XREAD. */
const READ_COUNT = 512;
/**
 * How long one XREAD blocks. Each empty return re-reads the position, so a
 * Redis that was wiped or replaced under a live connection is noticed
 * within about this long; it also stays below the link's socket timeout.
 */
export const BLOCK_MS = 2_000;

/** A break in the feed: the hub continues after headSeq and ends subscriptions whose cursor is above validUpTo. */
export interface FeedReset {
  epoch: string;
  headSeq: number;
  /** Subscriptions at or below it are intact (their next entries are still the same); -1: none is. */
  validUpTo: number;
  reason: 'new-log' | 'rollback' | 'trimmed';
}

export interface TailOptions {
  /** A connection of its own: XREAD BLOCK holds it. */
  client: Client;
  log: RedisOpsLog;
  streamKey: string;
  onEntry: (e: OpsEntry) => void;
  onReset: (r: FeedReset) => void;
  /** Every position read (the log caches epoch and first seq from it). */
  onPosition: (p: RedisPosition) => void;
  logger: Logger;
}

/**
 * The fan-out from the shared log: a blocking XREAD from the last seq this
 * instance forwarded, so every entry any instance appended reaches this
 * one once, in seq order. Why XREAD and not pub/sub: pub/sub is
 * at-most-once (a reconnect loses what was published meanwhile) and would
 * need this same read to backfill its gaps; reading the stream from a
 * cursor is the backfill and the live path in one, with no message to
 * reorder or deduplicate (Socket.IO's Redis Streams adapter reads the same
 * way). Redis answers a blocked XREAD right after the XADD that fed it, so
 * live latency is one round trip, and under load one read returns a batch.
 *
 * The cursor is checked against the log's position on start, after every
 * reconnect and every idle block: a new log (Redis lost its data), a
 * generation whose fence is below what was forwarded (a rollback), or
 * entries trimmed before they were read end the affected subscriptions
 * through onReset instead of leaving a silent gap.
 */
export class RedisTail {
  readonly #o: TailOptions;
  #known: RedisPosition | null = null;
  #seq = 0;
  #running = false;
  #check = true;
  #stopped: Promise<void> = Promise.resolve();
  readonly #abort = new AbortController();
  /** Resets issued (for /metrics). */
  resets = 0;

  constructor(o: TailOptions) {
    this.#o = o;
  }

  /** The last seq forwarded. */
  get seq(): number {
    return this.#seq;
  }

  get position(): RedisPosition | null {
    return this.#known;
  }

  /** Starts reading after `known`'s head (the position the log was opened at), or after the first position it reads. */
  start(known: RedisPosition | null): void {
    if (this.#running) return;
    this.#running = true;
    if (known) this.#adopt(known);
    this.#stopped = this.#loop();
  }

  /**
   * Stops reading. The returned promise settles when the loop has ended: a
   * blocked XREAD returns within BLOCK_MS, or at once when the link closes
   * its connections, so close the link before awaiting it.
   */
  stop(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    return this.#stopped;
  }

  #adopt(p: RedisPosition): void {
    this.#known = p;
    this.#seq = p.headSeq;
    this.#o.log.saw(p.headSeq);
    this.#o.onPosition(p);
  }

  async #loop(): Promise<void> {
    const { client, streamKey } = this.#o;
    while (this.#running) {
      try {
        if (!client.isReady) await once(client, 'ready', { signal: this.#abort.signal });
        if (this.#check) {
          await this.#reconcile();
          this.#check = false;
        }
        const reply = (await client.sendCommand(['XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', String(BLOCK_MS), 'STREAMS', streamKey, `${this.#seq}-0`])) as
          | [string, [string, string[]][]][]
          | null;
        if (!this.#running) break;
        if (reply === null || reply.length === 0) {
          this.#check = true;
          continue;
        }
        const entries = decodeEntries(reply[0]![1]);
        if (entries.length > 0 && entries[0]!.seq !== this.#seq + 1) {
          // Not the next seq: trimmed before we read it, or another log. Decide from the position.
          this.#check = true;
          continue;
        }
        for (const e of entries) {
          this.#seq = e.seq;
          this.#o.onEntry(e);
        }
        this.#o.log.saw(this.#seq);
      } catch (e) {
        if (!this.#running) break;
        this.#check = true;
        this.#o.logger.debug({ err: e }, 'redis tail read failed; waiting for the connection');
        // Wait for the reconnect (a failed command on a ready client: let the link settle a moment).
        if (client.isReady) await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Compares the cursor with where the log stands, and resets what can no longer continue. */
  async #reconcile(): Promise<void> {
    const pos = await this.#o.log.position();
    const known = this.#known;
    if (!known) return this.#adopt(pos);
    let validUpTo = this.#seq;
    let reason: FeedReset['reason'] | null = null;
    if (pos.id !== known.id) {
      reason = 'new-log';
      validUpTo = -1;
    } else {
      // The newest generation we knew that the data set still has, and the lowest fence since.
      const common = [...known.fences].reverse().find((f) => pos.fences.some((g) => g.generation === f.generation));
      const since = common ? fenceSince(pos, common.generation) : null;
      const lostOurs = known.fences.filter((f) => !pos.fences.some((g) => g.generation === f.generation));
      const fence = since === null ? -1 : Math.min(since, ...lostOurs.map((f) => f.seq));
      if (fence < this.#seq || pos.headSeq < this.#seq) {
        reason = 'rollback';
        validUpTo = Math.max(-1, Math.min(fence, pos.headSeq));
      } else if (pos.firstSeq > this.#seq + 1) {
        reason = 'trimmed';
        validUpTo = -1;
      }
    }
    this.#known = pos;
    this.#o.onPosition(pos);
    if (reason === null) return;
    this.resets++;
    // Continue after what is still true (a rollback), or from the start of what the log has (a new log, a trim).
    this.#seq = reason === 'rollback' ? Math.max(0, validUpTo, pos.firstSeq - 1) : pos.firstSeq - 1;
    this.#o.logger.warn({ reason, epoch: pos.epoch, validUpTo, headSeq: this.#seq }, 'the shared ops log changed under this instance; subscriptions past the break must resubscribe');
    this.#o.onReset({ epoch: pos.epoch, headSeq: this.#seq, validUpTo, reason });
  }
}
