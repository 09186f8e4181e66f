import type { Logger } from '../../log.js';
import type { HistoryEntry } from '../../runtime/sessions.js';
import type { RedisKeys } from './keys.js';
import type { Client, RedisLink } from './link.js';

/** Transcript writes held while Redis is away; past this, a chat answers an error instead of losing its entry. */
export const WRITE_BUFFER_MAX = 10_000;
/** A session's lease: how long it lives without renewal, and how often the holder renews it. */
export const LEASE_TTL_MS = 10_000;
const LEASE_RENEW_MS = 3_000;

/** What instances tell each other on the chat channel. */
type ChatMessage =
  | { t: 'event'; from: string; s: string; e: string; p: unknown }
  | { t: 'entry'; from: string; s: string; x: HistoryEntry }
  | { t: 'release'; from: string; s: string }
  | { t: 'released'; from: string; s: string };

export interface ChatShareHandlers {
  /** A chat or agent event of a run on another instance. */
  event(sessionKey: string, event: string, payload: Record<string, unknown>): void;
  /** A transcript entry another instance appended. */
  entry(sessionKey: string, entry: HistoryEntry): void;
  /** Another instance wants this session's lease: give it up once no run of the session is active here. */
  releaseWanted(sessionKey: string): void;
}

// Lease scripts: take (or keep) the lease if free or already ours; drop it only if ours.
const TAKE_LEASE = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const DROP_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Chat across instances: transcripts in Redis (one stream per session, the
 * entry's seq as its id, trimmed to the history limit), live chat and
 * agent events and transcript entries broadcast on one pub/sub channel,
 * and a lease per session so that a session's turns run on one instance
 * at a time.
 *
 * The chat path never waits on Redis: entries and events are written
 * behind, in order, through a buffer that holds them while Redis is away
 * (an XADD with an explicit id is idempotent here: a resend of an entry
 * that had reached Redis is refused as not newer and counts as done).
 * Live events are at-most-once across instances (pub/sub), as the chat's
 * deltas are in OpenClaw: each delta carries the whole text so far, and the
 * transcript, stored in order, is what a client reloads from.
 */
export class RedisChatShare {
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;
  readonly #id: string;
  readonly #limit: number;
  readonly #log: Logger;
  #handlers: ChatShareHandlers | null = null;
  #sub: Client | null = null;
  /** Writes not yet answered by Redis, oldest first: [command, what it is]. */
  #pending: string[][] = [];
  #flushing = false;
  /** Sessions whose lease this instance holds. */
  readonly #leases = new Set<string>();
  readonly #waiters = new Map<string, (() => void)[]>();
  #renew: NodeJS.Timeout;
  /** Writes refused because the buffer was full; events received from other instances. */
  refused = 0;
  received = 0;

  constructor(link: RedisLink, keys: RedisKeys, instanceId: string, historyLimit: number, log: Logger) {
    this.#link = link;
    this.#keys = keys;
    this.#id = instanceId;
    this.#limit = historyLimit;
    this.#log = log;
    link.on('state', (s) => s === 'up' && this.#flush());
    this.#renew = setInterval(() => this.#renewLeases(), LEASE_RENEW_MS).unref();
  }

  /** Subscribes to the chat channel (a connection of its own, as pub/sub requires). */
  async start(handlers: ChatShareHandlers): Promise<void> {
    this.#handlers = handlers;
    this.#sub = await this.#link.dedicated('chat-sub');
    // node-redis resubscribes after a reconnect by itself.
    await this.#sub.subscribe(this.#keys.chatChannel, (text) => this.#onMessage(text)).catch((e: unknown) => {
      this.#log.warn({ err: e }, 'chat channel subscribe failed; retried on reconnect');
    });
  }

  /** Writes held for Redis (for /metrics and readiness). */
  get backlog(): number {
    return this.#pending.length;
  }

  /** Broadcasts a chat/agent event of a run here to the other instances. */
  event(sessionKey: string, event: string, payload: Record<string, unknown>): void {
    // Events are not buffered while Redis is away: they are live-only, the transcript is the record.
    if (this.#link.state !== 'up') return;
    const m: ChatMessage = { t: 'event', from: this.#id, s: sessionKey, e: event, p: payload };
    this.#link.command.sendCommand(['PUBLISH', this.#keys.chatChannel, JSON.stringify(m)]).catch(() => {});
  }

  /**
   * Stores a transcript entry (behind, in order) and tells the other
   * instances. Returns false when the write buffer is full: the caller
   * answers the chat with an error rather than lose the entry silently.
   */
  append(sessionKey: string, entry: HistoryEntry): boolean {
    if (this.#pending.length >= WRITE_BUFFER_MAX) {
      this.refused++;
      return false;
    }
    const json = JSON.stringify(entry);
    this.#pending.push(['XADD', this.#keys.session('chat', sessionKey), 'MAXLEN', '~', String(this.#limit), `${entry.seq}-0`, 'j', json]);
    const m: ChatMessage = { t: 'entry', from: this.#id, s: sessionKey, x: entry };
    this.#pending.push(['PUBLISH', this.#keys.chatChannel, JSON.stringify(m)]);
    this.#flush();
    return true;
  }

  /** The session's stored transcript: entries with seq > afterSeq, oldest first, at most `limit` (rejects when Redis is away). */
  async read(sessionKey: string, afterSeq: number, limit: number): Promise<HistoryEntry[]> {
    const reply = (await this.#link.command.sendCommand(['XRANGE', this.#keys.session('chat', sessionKey), `${afterSeq + 1}-0`, '+', 'COUNT', String(limit)])) as [
      string,
      string[],
    ][];
    return reply.map(([, fields]) => JSON.parse(fields[1]!) as HistoryEntry);
  }

  /** The last `limit` stored entries, oldest first (a session loaded on this instance for the first time). */
  async tail(sessionKey: string, limit: number): Promise<HistoryEntry[]> {
    const reply = (await this.#link.command.sendCommand(['XREVRANGE', this.#keys.session('chat', sessionKey), '+', '-', 'COUNT', String(limit)])) as [string, string[]][];
    return reply.map(([, fields]) => JSON.parse(fields[1]!) as HistoryEntry).reverse();
  }

  /** Whether this instance holds the session's lease now (no Redis round trip). */
  holds(sessionKey: string): boolean {
    return this.#leases.has(sessionKey);
  }

  /**
   * Takes the session's lease, asking its holder to give it up and waiting
   * until it does (or it expires: a dead holder's lease lasts at most
   * LEASE_TTL_MS). Resolves true once held, false when Redis is away (the
   * caller runs the turn anyway: chats keep being answered, ordering
   * across instances is then not guaranteed).
   */
  async acquire(sessionKey: string): Promise<boolean> {
    if (this.#leases.has(sessionKey)) return true;
    const key = this.#keys.session('lease', sessionKey);
    const deadline = Date.now() + LEASE_TTL_MS * 2;
    let asked = false;
    while (Date.now() < deadline) {
      let got: number;
      try {
        got = Number(await this.#link.command.sendCommand(['EVAL', TAKE_LEASE, '1', key, this.#id, String(LEASE_TTL_MS)]));
      } catch {
        return false;
      }
      if (got === 1) {
        this.#leases.add(sessionKey);
        return true;
      }
      if (!asked) {
        asked = true;
        const m: ChatMessage = { t: 'release', from: this.#id, s: sessionKey };
        this.#link.command.sendCommand(['PUBLISH', this.#keys.chatChannel, JSON.stringify(m)]).catch(() => {});
      }
      // Woken by the holder's `released`, or try again after a while (it may have died).
      await new Promise<void>((resolve) => {
        const list = this.#waiters.get(sessionKey) ?? [];
        const t = setTimeout(resolve, 250);
        list.push(() => {
          clearTimeout(t);
          resolve();
        });
        this.#waiters.set(sessionKey, list);
      });
    }
    return false;
  }

  /** Gives the lease up, after this instance's transcript writes for it (same connection, so Redis applies them first). */
  release(sessionKey: string): void {
    if (!this.#leases.delete(sessionKey)) return;
    this.#pending.push(['EVAL', DROP_LEASE, '1', this.#keys.session('lease', sessionKey), this.#id]);
    const m: ChatMessage = { t: 'released', from: this.#id, s: sessionKey };
    this.#pending.push(['PUBLISH', this.#keys.chatChannel, JSON.stringify(m)]);
    this.#flush();
  }

  async close(): Promise<void> {
    clearInterval(this.#renew);
    for (const s of [...this.#leases]) this.release(s);
    await this.#flushNow();
  }

  #onMessage(text: string): void {
    let m: ChatMessage;
    try {
      m = JSON.parse(text) as ChatMessage;
    } catch {
      return;
    }
    if (m.from === this.#id || !this.#handlers) return;
    this.received++;
    if (m.t === 'event') this.#handlers.event(m.s, m.e, m.p as Record<string, unknown>);
    else if (m.t === 'entry') this.#handlers.entry(m.s, m.x);
    else if (m.t === 'release') {
      if (this.#leases.has(m.s)) this.#handlers.releaseWanted(m.s);
    } else if (m.t === 'released') {
      for (const w of this.#waiters.get(m.s)?.splice(0) ?? []) w();
    }
  }

  /** Sends the held writes in order, each only after the one before it was answered. */
  #flush(): void {
    if (this.#flushing || this.#pending.length === 0 || this.#link.state !== 'up') return;
    this.#flushing = true;
    void this.#flushNow().finally(() => {
      this.#flushing = false;
      if (this.#pending.length > 0 && this.#link.state === 'up') this.#flush();
    });
  }

  async #flushNow(): Promise<void> {
    while (this.#pending.length > 0 && this.#link.state === 'up') {
      // A batch at a time, pipelined on the one connection: Redis applies them in order.
      const batch = this.#pending.slice(0, 256);
      const results = await Promise.allSettled(batch.map((c) => this.#link.command.sendCommand(c)));
      let done = 0;
      for (const r of results) {
        // A transcript XADD refused as not newer had reached Redis before (a resend after a blip).
        if (r.status === 'fulfilled' || /equal or smaller/.test(String((r.reason as Error)?.message))) done++;
        else break;
      }
      this.#pending.splice(0, done);
      if (done < batch.length) return; // Redis went away mid-batch: the rest waits for the reconnect
    }
  }

  #renewLeases(): void {
    if (this.#link.state !== 'up') return;
    for (const s of this.#leases) {
      this.#link.command
        .sendCommand(['EVAL', TAKE_LEASE, '1', this.#keys.session('lease', s), this.#id, String(LEASE_TTL_MS)])
        .then((r) => {
          // Lost it (it expired while Redis was away and another instance took it).
          if (Number(r) !== 1) this.#leases.delete(s);
        })
        .catch(() => {});
    }
  }
}
