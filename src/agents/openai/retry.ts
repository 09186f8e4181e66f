// When to try a model request again, and after how long. A 429, a 5xx, a
// refused or dropped connection and a connect timeout are worth another
// try; anything else (400, 401, 404, a malformed stream) is not: trying
// again gives the same answer.

/** An HTTP or stream failure of one model request. */
export class ModelError extends Error {
  /** Another attempt may succeed. */
  readonly retryable: boolean;
  /** The server's `retry-after` (or `retry-after-ms`), when it gave one. */
  readonly retryAfterMs: number | null;
  readonly status: number | null;

  constructor(message: string, o: { retryable?: boolean; retryAfterMs?: number | null; status?: number | null; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'ModelError';
    this.retryable = o.retryable ?? false;
    this.retryAfterMs = o.retryAfterMs ?? null;
    this.status = o.status ?? null;
  }
}

export const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/**
 * The server's wait, from `retry-after-ms` (OpenAI's, milliseconds) or
 * `retry-after` (RFC 9110: seconds, or an HTTP date); null when absent or
 * unreadable.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const v = headers.get('retry-after');
  if (v === null) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * Exponential backoff with jitter: attempt 0 waits about `base`, each
 * further attempt twice as long, capped at `max`; the wait is drawn from
 * the upper half of that range so that many clients rejected together do
 * not come back together, while no wait collapses to zero.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
