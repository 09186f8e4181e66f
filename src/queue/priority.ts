import type { Signal } from './signal.js';

/** Ops items between clock reads when a turn has a time budget. */
const TIME_CHECK_EVERY = 8;
// Parking and being woken costs a futex round trip on both sides (the
// producer's Atomics.notify measured 16% of a socket worker's time under
// pipelined requests), and the next record of a burst usually arrives within
// one event-loop turn: after a turn that did work, look once more first
// (measured: request/response throughput ~84k -> ~95k/s; lingering longer,
// 50-500 us, cost more CPU than the wake-ups it saved).

/** Something the consumer can take work from: a ring with its handler, or a local queue. */
export interface LaneSource {
  /** Handle up to `max` items; return how many were handled. */
  take(max: number): number;
  /** True when an item is waiting (may be stale). */
  hasWork(): boolean;
}

export interface PriorityOptions {
  /** Items handled per event-loop turn before yielding to timers and I/O. */
  maxPerTurn: number;
  /**
   * Milliseconds a turn may run before it yields, checked every few items:
   * agent timers (a reply's next delta) and task results only run between
   * turns, so a long ops backlog must not hold them.
   */
  turnBudgetMs?: number;
  /** Ops sources are taken only while this returns true (outbound backpressure). */
  opsOpen: () => boolean;
  /** Called when a handler throws; the loop keeps going. */
  onError: (err: unknown) => void;
}

/**
 * The main thread's consumer over every inbound source.
 *
 * Conversation first, always: before each ops item it drains every conv
 * source, so a chat waits at most one ops item's handling. Ops sources are
 * taken one item at a time, round-robin. When every source is empty it parks
 * on the doorbell with Atomics.waitAsync, so the event loop keeps running
 * (agent timers, piscina results) while it sleeps.
 */
export class PriorityConsumer {
  readonly #doorbell: Signal;
  readonly #conv: LaneSource[];
  readonly #ops: LaneSource[];
  readonly #opt: PriorityOptions;
  #next = 0;
  #running = false;
  #scheduled = false;
  #parked = false;

  constructor(doorbell: Signal, conv: LaneSource[], ops: LaneSource[], options: PriorityOptions) {
    this.#doorbell = doorbell;
    this.#conv = conv;
    this.#ops = ops;
    this.#opt = options;
  }

  start(): void {
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    // Release a pending waitAsync so nothing keeps the loop alive.
    this.#doorbell.wake();
  }

  /** Wake the consumer if it is parked (new local work, or ops reopened). */
  kick(): void {
    if (this.#parked) this.#doorbell.wake();
    else this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || !this.#running) return;
    this.#scheduled = true;
    setImmediate(this.#turn);
  }

  readonly #turn = (): void => {
    this.#scheduled = false;
    if (!this.#running) return;
    let budget = this.#opt.maxPerTurn;
    const deadline = this.#opt.turnBudgetMs === undefined ? Infinity : performance.now() + this.#opt.turnBudgetMs;
    let sinceCheck = 0;
    while (budget > 0) {
      const conv = this.#takeConv(budget);
      if (conv > 0) {
        budget -= conv;
        continue;
      }
      if (!this.#opt.opsOpen() || !this.#takeOneOps()) break;
      budget -= 1;
      if (++sinceCheck === TIME_CHECK_EVERY) {
        sinceCheck = 0;
        if (performance.now() >= deadline) budget = 0;
      }
    }
    // A turn that did work is followed by one more look before parking.
    if (budget < this.#opt.maxPerTurn) return this.#schedule();
    this.#park();
  };

  #takeConv(max: number): number {
    let n = 0;
    for (const s of this.#conv) {
      try {
        n += s.take(max - n);
      } catch (err) {
        n += 1;
        this.#opt.onError(err);
      }
      if (n >= max) break;
    }
    return n;
  }

  #takeOneOps(): boolean {
    const count = this.#ops.length;
    for (let i = 0; i < count; i++) {
      const s = this.#ops[(this.#next + i) % count]!;
      let took = 0;
      try {
        took = s.take(1);
      } catch (err) {
        took = 1;
        this.#opt.onError(err);
      }
      if (took > 0) {
        this.#next = (this.#next + i + 1) % count;
        return true;
      }
    }
    return false;
  }

  #hasWork(): boolean {
    if (this.#conv.some((s) => s.hasWork())) return true;
    return this.#opt.opsOpen() && this.#ops.some((s) => s.hasWork());
  }

  #park(): void {
    // A producer that wrote before seeing the parked flag did not ring: the
    // re-check inside sleepUnless finds its record.
    const sleep = this.#doorbell.sleepUnless(() => this.#hasWork() || !this.#running);
    if (!sleep) return this.#schedule();
    this.#parked = true;
    void sleep.then(() => {
      this.#parked = false;
      // Run now rather than after another setImmediate hop: the wake-up
      // already cost a trip through the event loop.
      if (!this.#scheduled) this.#turn();
    });
  }
}
