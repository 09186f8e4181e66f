import type { WebSocket } from 'ws';
import type { PortLimits } from '../config.js';
import { Lane, type LaneId } from '../queue/records.js';
import type { RefusalReason } from '../queue/refusals.js';

/**
 * A token bucket that may go into debt: every attempt takes a token, even a
 * refused one. A client that backs off as told (retryAfterMs) stays within
 * one token of zero; a client that keeps sending sinks deeper, and once its
 * debt exceeds another burst it is cut off. Without debt, a flooder would
 * get one frame through per refill and never be told apart from a client
 * that honours retryAfterMs.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /** `rate` per second, at most `burst` saved up; starts full. */
  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** 'ok', 'refuse' (in debt), or 'cut' (debt beyond a whole burst). */
  take(now: number): 'ok' | 'refuse' | 'cut' {
    this.#refill(now);
    this.#tokens -= 1;
    if (this.#tokens >= 0) return 'ok';
    return this.#tokens < -this.#burst ? 'cut' : 'refuse';
  }

  /** Milliseconds until one whole token is available again. */
  retryAfterMs(now: number): number {
    this.#refill(now);
    return Math.max(1, Math.ceil(((1 - this.#tokens) / this.#rate) * 1000));
  }

  /** Back to full (after enough idle time); used to prune idle per-IP entries. */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#burst;
  }

  #refill(now: number): void {
    const dt = now - this.#at;
    this.#at = now;
    if (dt > 0) this.#tokens = Math.min(this.#burst, this.#tokens + (dt / 1000) * this.#rate);
  }
}

export type RateVerdict = { ok: true } | { ok: false; cut: boolean; retryAfterMs: number };
const OK: RateVerdict = { ok: true };

/**
 * A connection's message rate, one bucket per inbound lane: on the conv
 * port in single-port mode, `ops.*` requests draw on the ops settings, so a
 * producer's deliveries and a person's chat are held to their own rates.
 */
export class ConnRate {
  readonly #buckets: (TokenBucket | null)[];

  constructor(limits: { conv: PortLimits; ops: PortLimits }, now: number) {
    const make = (l: PortLimits): TokenBucket | null => (l.rate > 0 ? new TokenBucket(l.rate, l.burst, now) : null);
    this.#buckets = [make(limits.conv), make(limits.ops)];
  }

  take(lane: LaneId, now: number): RateVerdict {
    const b = this.#buckets[lane];
    if (!b) return OK;
    const t = b.take(now);
    if (t === 'ok') return OK;
    return { ok: false, cut: t === 'cut', retryAfterMs: b.retryAfterMs(now) };
  }
}

/** The lane whose bucket pays for frames that never name a method (bad JSON, binary): the port's own. */
export const portLane = (role: 'conv' | 'ops'): LaneId => (role === 'conv' ? Lane.CONV : Lane.OPS);

/**
 * The key connections are counted under: the IPv4 address (IPv4-mapped
 * IPv6 unwrapped), or the /64 prefix of an IPv6 address, since one
 * subscriber usually holds a whole /64 and could otherwise rotate through it.
 */
export function ipKey(remote: string): string {
  let a = remote.replace(/%.*$/, '');
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a)) a = a.slice(7);
  if (!a.includes(':')) return a;
  const [head, tail] = a.split('::') as [string, string | undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const h = groups(head);
  const t = groups(tail);
  const full = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${full
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

export type Admission = { ok: true; release: () => void } | { ok: false; status: 429 | 503; reason: RefusalReason; retryAfterS?: number };

interface IpEntry {
  open: number;
  bucket: TokenBucket | null;
}

/** How often idle per-IP entries are pruned (ms). */
const PRUNE_EVERY_MS = 10_000;

/**
 * Admission of new WebSocket connections on one port, before the upgrade:
 * new connections per second per IP (token bucket), open connections per
 * IP, and open connections in total. Every attempt that reaches it draws
 * on its IP's rate, refused or not. The per-IP table drops entries that
 * have no open connection and a full bucket, so it stays as small as the
 * set of recently active addresses.
 */
export class ConnAdmission {
  readonly #maxConns: number;
  readonly #perIp: { maxConns: number; rate: number; burst: number };
  readonly #ips = new Map<string, IpEntry>();
  #open = 0;
  #lastPrune = 0;

  constructor(maxConns: number, perIp: { maxConns: number; rate: number; burst: number }) {
    this.#maxConns = maxConns;
    this.#perIp = perIp;
  }

  get open(): number {
    return this.#open;
  }

  admit(remote: string, now: number): Admission {
    this.#prune(now);
    const key = ipKey(remote);
    let e = this.#ips.get(key);
    if (!e) {
      e = { open: 0, bucket: this.#perIp.rate > 0 ? new TokenBucket(this.#perIp.rate, this.#perIp.burst, now) : null };
      this.#ips.set(key, e);
    }
    if (e.bucket && e.bucket.take(now) !== 'ok') {
      return { ok: false, status: 429, reason: 'ip-rate', retryAfterS: Math.ceil(e.bucket.retryAfterMs(now) / 1000) };
    }
    if (this.#perIp.maxConns > 0 && e.open >= this.#perIp.maxConns) return { ok: false, status: 429, reason: 'ip-conns' };
    if (this.#open >= this.#maxConns) return { ok: false, status: 503, reason: 'conn-cap', retryAfterS: 1 };
    e.open++;
    this.#open++;
    const entry = e;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        entry.open--;
        this.#open--;
      },
    };
  }

  #prune(now: number): void {
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    for (const [k, e] of this.#ips) if (e.open === 0 && (!e.bucket || e.bucket.full(now))) this.#ips.delete(k);
  }
}

/**
 * Sets the largest frame a connection's ws Receiver accepts. ws has no
 * public per-connection setting: its Receiver keeps `_maxPayload` and checks
 * it against each frame header's declared length (ws 8.x receiver.js
 * `haveLength`), before reading the payload. Lowering it until `connect`
 * succeeds means a client without credentials cannot make the worker
 * buffer up to the port's max payload; it is raised again after auth.
 * Returns false when the internal field is missing (a ws upgrade changed
 * it): the server-wide limit then stays, and the application-level check
 * in the handshake still refuses a large pre-auth frame, after it arrived.
 * test/integration/limits.test.ts catches that case.
 */
export function setFrameLimit(ws: WebSocket, bytes: number): boolean {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') return false;
  receiver._maxPayload = bytes;
  // A compressed frame is inflated up to the extension's own limit (ws 8.x
  // permessage-deflate.js `_maxPayload`, the server's maxPayload) before the
  // Receiver sees its length: lower it too, or a small pre-auth frame could
  // make the worker inflate up to the port's limit.
  const deflate = (ws as unknown as { _extensions?: Record<string, { _maxPayload?: unknown }> })._extensions?.['permessage-deflate'];
  if (deflate && typeof deflate._maxPayload === 'number') deflate._maxPayload = bytes;
  return true;
}
