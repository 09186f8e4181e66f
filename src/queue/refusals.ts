import type { Logger } from '../log.js';

/**
 * Why the edge refused, cut or shed something. One counter each, per port.
 * A fixed list (not free-form strings) so the counters live in a
 * SharedArrayBuffer the main thread reads without asking the worker.
 */
export const REFUSAL_REASONS = [
  /** Upgrade refused: browser Origin not allowed (HTTP 403). */
  'origin',
  /** Upgrade refused: the port's connection cap is reached (HTTP 503). */
  'conn-cap',
  /** Upgrade refused: too many open connections from this IP (HTTP 429). */
  'ip-conns',
  /** Upgrade refused: this IP opens connections too fast (HTTP 429). */
  'ip-rate',
  /** TLS handshake failed (plain text on a TLS port, bad client hello, ...). */
  'tls',
  /** Malformed HTTP before any upgrade (HTTP 400). */
  'http-bad-request',
  /** No `connect` within the handshake timeout (close 1008). */
  'handshake-timeout',
  /** Pre-connect frame over the pre-auth cap (close 1009). */
  'preauth-too-large',
  /** First frame not a valid `connect` (close 1008). */
  'bad-handshake',
  /** No common protocol version (close 1002). */
  'protocol-mismatch',
  /** Wrong or missing credential (close 1008). */
  'auth',
  /** A JWT expired while its connection was open (close 1008). */
  'token-expired',
  /** Frames sent while a JWT was being verified, beyond what is held (close 1008). */
  'handshake-flood',
  /** Malformed request after connect (INVALID_REQUEST). */
  'invalid-request',
  /** Method needs a scope the connection lacks (FORBIDDEN). */
  'forbidden',
  /** Binary frame after connect on a JSON connection (INVALID_REQUEST). */
  'binary-frame',
  /** Text frame after connect on a lanegate.msgpack.v1 connection (INVALID_REQUEST). */
  'text-frame',
  /** Frame over the port's max payload (close 1009). */
  'too-large',
  /** Text frame with invalid UTF-8 (close 1007). */
  'invalid-utf8',
  /** Broken WebSocket framing: bad opcode, RSV bits, unmasked, ... (close 1002). */
  'bad-framing',
  /** Request larger than its ring can carry (PAYLOAD_TOO_LARGE). */
  'too-large-for-ring',
  /** Over the message rate (UNAVAILABLE, retryable). */
  'rate-limited',
  /** Kept sending far over the message rate (close 1008). */
  'rate-closed',
  /** Outbound buffer over the cap on a frame that cannot be skipped (close 1008 "slow consumer"). */
  'slow-consumer',
  /** Ops or tick events skipped for a subscriber over its outbound cap (its frame seq shows the gap). */
  'events-skipped',
  /** No pong for a whole tick interval (terminated). */
  'ping-timeout',
  /** Any other socket error. */
  'socket-error',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

const INDEX = new Map<string, number>(REFUSAL_REASONS.map((r, i) => [r, i]));
/** Slot after the counters: open WebSocket connections (a gauge). */
const CONNECTIONS = REFUSAL_REASONS.length;
const SLOTS = REFUSAL_REASONS.length + 1;

/** ws error codes (err.code) mapped to reasons; others count as bad framing or socket errors. */
const WS_CODES: Record<string, RefusalReason> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'too-large',
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 'too-large',
  WS_ERR_INVALID_UTF8: 'invalid-utf8',
};

export function reasonOfWsError(code: string | undefined): RefusalReason {
  if (code === undefined) return 'socket-error';
  return WS_CODES[code] ?? (code.startsWith('WS_ERR_') ? 'bad-framing' : 'socket-error');
}

export interface EdgeSnapshot {
  connections: number;
  /** Non-zero counters only. */
  refusals: Partial<Record<RefusalReason, number>>;
}

/**
 * A port's refusal counters and connection gauge over a SharedArrayBuffer:
 * the socket worker is the only writer, the main thread reads them for
 * `status` at any time (each counter is one atomic 64-bit word).
 */
export class EdgeCounters {
  readonly #words: BigInt64Array;

  static storage(): SharedArrayBuffer {
    return new SharedArrayBuffer(SLOTS * 8);
  }

  constructor(sab: SharedArrayBuffer) {
    this.#words = new BigInt64Array(sab);
  }

  count(reason: RefusalReason): void {
    Atomics.add(this.#words, INDEX.get(reason)!, 1n);
  }

  get(reason: RefusalReason): number {
    return Number(Atomics.load(this.#words, INDEX.get(reason)!));
  }

  setConnections(n: number): void {
    Atomics.store(this.#words, CONNECTIONS, BigInt(n));
  }

  snapshot(): EdgeSnapshot {
    const refusals: Partial<Record<RefusalReason, number>> = {};
    REFUSAL_REASONS.forEach((r, i) => {
      const n = Number(Atomics.load(this.#words, i));
      if (n > 0) refusals[r] = n;
    });
    return { connections: Number(Atomics.load(this.#words, CONNECTIONS)), refusals };
  }
}

/**
 * Logs the counters at info level every `intervalMs` when they changed, so
 * refusals show in the logs without a line per refused frame (a flood would
 * otherwise flood the log too; single refusals are logged at debug).
 */
export function logRefusalSummaries(counters: EdgeCounters, log: Logger, intervalMs: number): { stop(): void } {
  let last = '';
  const emit = (): void => {
    const { refusals } = counters.snapshot();
    const text = JSON.stringify(refusals);
    if (text === last) return;
    last = text;
    log.info({ refusals }, 'refusals by reason (totals)');
  };
  const timer = setInterval(emit, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      emit();
    },
  };
}
