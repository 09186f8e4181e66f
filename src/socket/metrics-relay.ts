import type { MainToWorker, WorkerToMain } from './messages.js';

/** How long a scrape waits for the main thread before it is answered 503. */
export const METRICS_TIMEOUT_MS = 2_000;

/** A scrape the main thread did not answer in time (or could not collect). */
export class MetricsUnavailable extends Error {
  constructor(why: string) {
    super(`metrics unavailable: ${why}`);
    this.name = 'MetricsUnavailable';
  }
}

/**
 * The conv worker's side of GET /metrics. The HTTP request arrives here but
 * the figures live on the main thread (runtime counters, queue-wait
 * histograms, the rings), so the worker asks over its control port and
 * relays the answer. The main thread answers between two runtime turns; if
 * it does not within the bound (stuck, or stopping), the scrape fails fast
 * instead of holding the connection.
 */
export class MetricsRelay {
  readonly #post: (m: WorkerToMain) => void;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;

  constructor(post: (m: WorkerToMain) => void, timeoutMs = METRICS_TIMEOUT_MS) {
    this.#post = post;
    this.#timeoutMs = timeoutMs;
  }

  request(): Promise<string> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new MetricsUnavailable(`the runtime did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#post({ type: 'metrics-request', id });
    });
  }

  /** The main thread's answer (late answers, after the timeout, are dropped). */
  answer(m: Extract<MainToWorker, { type: 'metrics' }>): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.text === null) p.reject(new MetricsUnavailable('collection failed'));
    else p.resolve(m.text);
  }
}
