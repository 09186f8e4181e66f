import { randomBytes } from 'node:crypto';
import type { OpsLane } from '../../protocol/methods.js';
import type { NewOpsEntry, OpsEntry } from '../ops-log.js';
import type { RedisKeys } from './keys.js';
import { redisUnavailable, type RedisLink } from './link.js';
import { decodePosition, type RedisPosition } from './position.js';
import { APPEND, POSITION } from './scripts.js';

export interface Retention {
  /** Entries kept. */
  entries: number;
  /** Bytes kept (payload and keys, roughly); 0: no byte bound. */
  bytes: number;
  /** Age kept in ms; 0: no age bound. */
  ms: number;
}

export interface AppendResult {
  seq: number;
  duplicate: boolean;
  /** The epoch the seq belongs to. */
  epoch: string;
}

/** A fresh epoch id: 96 random bits, URL-safe. */
export function newEpochId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * The ops log shared by every instance on one Redis: one stream, one seq
 * counter, one idempotency table, one epoch. Appends go through one Lua
 * script each (scripts.ts); reads are plain XRANGE. Every method rejects
 * with LANEGATE_ERR_REDIS_UNAVAILABLE when Redis cannot be reached, never
 * with an answer it did not get from Redis.
 */
export class RedisOpsLog {
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;
  readonly #retention: Retention;
  readonly #scriptKeys: string[];
  /** Highest seq this instance has seen (appended or read): the floor of a log Redis has to recreate. */
  #seen = 0;

  constructor(link: RedisLink, keys: RedisKeys, retention: Retention) {
    this.#link = link;
    this.#keys = keys;
    this.#retention = retention;
    this.#scriptKeys = [keys.meta, keys.log, keys.idem, keys.fences];
  }

  get seenSeq(): number {
    return this.#seen;
  }

  /** Tells the log about a seq seen elsewhere (the tail reader). */
  saw(seq: number): void {
    if (seq > this.#seen) this.#seen = seq;
  }

  /** Numbers and stores one delivery; resolves once Redis has run the script. */
  async append(e: NewOpsEntry): Promise<AppendResult> {
    let reply: [number, number, string, number];
    try {
      reply = (await this.#link.run(APPEND, this.#scriptKeys, [
        newEpochId(),
        this.#seen,
        e.idempotencyKey,
        e.lane,
        e.sessionKey,
        e.kind,
        e.ts,
        e.payloadJson,
        this.#retention.entries,
        this.#retention.bytes,
        this.#retention.ms,
      ])) as [number, number, string, number];
    } catch (err) {
      throw redisUnavailable(err);
    }
    const seq = Number(reply[0]);
    this.saw(seq);
    return { seq, duplicate: Number(reply[1]) === 1, epoch: String(reply[2]) };
  }

  /** Where the log stands now (creating it, or starting a generation, if this is the first call since). */
  async position(): Promise<RedisPosition> {
    let reply: unknown;
    try {
      reply = await this.#link.run(POSITION, this.#scriptKeys, [newEpochId(), this.#seen]);
    } catch (err) {
      throw redisUnavailable(err);
    }
    return decodePosition(reply);
  }

  /** Retained entries with seq > after, in order, at most `max`. */
  async readAfter(after: number, max: number): Promise<OpsEntry[]> {
    let reply: unknown;
    try {
      reply = await this.#link.command.sendCommand(['XRANGE', this.#keys.log, `${after + 1}-0`, '+', 'COUNT', String(max)]);
    } catch (err) {
      throw redisUnavailable(err);
    }
    return decodeEntries(reply);
  }
}

/** XRANGE / XREAD entries ([id, [field, value, ...]]) as OpsEntry, fields as the append script writes them. */
export function decodeEntries(reply: unknown): OpsEntry[] {
  const out: OpsEntry[] = [];
  for (const [id, v] of reply as [string, string[]][]) {
    out.push({
      seq: Number(id.slice(0, id.indexOf('-'))),
      lane: v[1] as OpsLane,
      sessionKey: v[3]!,
      kind: v[5]!,
      idempotencyKey: v[7]!,
      ts: Number(v[9]),
      payloadJson: v[11]!,
    });
  }
  return out;
}
