import { SIGNAL_BYTES, SIGNAL_PARKED, SIGNAL_SEQ } from './layout.js';

/**
 * A wake-up word pair: a parked flag and a sequence counter.
 *
 * The waiting side arms (reads the sequence, then sets parked = 1),
 * re-checks its condition, and only then waits on the sequence value it
 * read. The waking side changes the condition first, then flips parked
 * 1 -> 0 with a compare-exchange and, if it won, bumps the sequence and
 * notifies. Because every access is sequentially consistent, either the
 * waker sees parked = 1 (and the waiter's wait sees a new sequence) or the
 * waiter's re-check sees the new condition: no wake-up is lost. Wakers that
 * find nobody parked pay one atomic load and no system call.
 */
export class Signal {
  readonly #words: Int32Array;
  readonly #parked: number;
  readonly #seq: number;

  /** Allocates storage for one standalone signal (a doorbell). */
  static storage(): SharedArrayBuffer {
    return new SharedArrayBuffer(SIGNAL_BYTES);
  }

  static over(sab: SharedArrayBuffer): Signal {
    return new Signal(new Int32Array(sab), SIGNAL_PARKED, SIGNAL_SEQ);
  }

  constructor(words: Int32Array, parkedIndex: number, seqIndex: number) {
    this.#words = words;
    this.#parked = parkedIndex;
    this.#seq = seqIndex;
  }

  /** Waiter: declare intent to sleep. Returns the sequence to wait on. */
  arm(): number {
    // Read the sequence *before* raising the flag. The other way round, a
    // wake() landing between the two (for a change the re-check does not
    // care about, e.g. an ops record while ops are gated) clears the flag
    // and bumps the sequence, the waiter then waits on the new value with
    // the flag down, and every later wake() skips it: the doorbell goes dead.
    const seen = Atomics.load(this.#words, this.#seq);
    Atomics.store(this.#words, this.#parked, 1);
    return seen;
  }

  /** Waiter: the re-check found work, or the wait ended. */
  disarm(): void {
    Atomics.store(this.#words, this.#parked, 0);
  }

  /** True while a waiter is armed (may be stale by the time it returns). */
  isArmed(): boolean {
    return Atomics.load(this.#words, this.#parked) === 1;
  }

  /**
   * Waiter: sleep without blocking the event loop until the sequence moves
   * past `seen` (or `timeoutMs` passes). Resolves at once if it already has.
   */
  waitAsync(seen: number, timeoutMs?: number): Promise<unknown> {
    const r = Atomics.waitAsync(this.#words, this.#seq, seen, timeoutMs);
    return r.async ? r.value : Promise.resolve(r.value);
  }

  /**
   * Waiter on a thread that serves no sockets and no agent (test and bench
   * producers only): block until woken or `timeoutMs` passes.
   */
  waitSync(seen: number, timeoutMs: number): string {
    return Atomics.wait(this.#words, this.#seq, seen, timeoutMs);
  }

  /**
   * The waiter's whole protocol in one place: arm, re-check `ready`, and
   * only then sleep. Returns null when `ready()` already holds (nothing to
   * wait for), else a promise that settles after a wake-up or `timeoutMs`
   * (with Atomics.waitAsync's result). Disarms either way.
   */
  sleepUnless(ready: () => boolean, timeoutMs?: number): Promise<unknown> | null {
    const seen = this.arm();
    if (ready()) {
      this.disarm();
      return null;
    }
    return this.waitAsync(seen, timeoutMs).then((r) => {
      this.disarm();
      return r;
    });
  }

  /** Waker: wake the waiter if one is armed. Returns whether it did. */
  wake(): boolean {
    if (Atomics.load(this.#words, this.#parked) !== 1) return false;
    if (Atomics.compareExchange(this.#words, this.#parked, 1, 0) !== 1) return false;
    Atomics.add(this.#words, this.#seq, 1);
    Atomics.notify(this.#words, this.#seq);
    return true;
  }
}
