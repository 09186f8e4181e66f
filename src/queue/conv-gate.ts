import { GATE_BYTES, GATE_CONV_INFLIGHT, GATE_IDLE_PARKED, GATE_IDLE_SEQ } from './layout.js';
import { Signal } from './signal.js';

/**
 * Admission control between the two socket workers (dual-port mode).
 *
 * On a 2-core machine the queue is not the last shared resource, the CPU
 * is: while the ops worker parses a flood, a chat's three thread wake-ups
 * (conv worker, runtime, conv worker) each wait for a core. So the conv
 * worker counts the conversation requests it has handed to the runtime and
 * not yet answered, and the ops worker stops reading its sockets and
 * sending while that count is above zero, for at most a bound, then carries
 * on. Ops traffic slows (TCP pushes back on its senders); nothing is lost.
 */
export class ConvGate {
  readonly #words: Int32Array;
  readonly #idle: Signal;

  static storage(): SharedArrayBuffer {
    return new SharedArrayBuffer(GATE_BYTES);
  }

  constructor(sab: SharedArrayBuffer) {
    this.#words = new Int32Array(sab);
    this.#idle = new Signal(this.#words, GATE_IDLE_PARKED, GATE_IDLE_SEQ);
  }

  // ------------------------------------------------------------ conv worker

  /** A conversation request went to the runtime. */
  started(): void {
    Atomics.add(this.#words, GATE_CONV_INFLIGHT, 1);
  }

  /** A conversation answer went out; wakes a waiting ops worker at zero. */
  answered(): void {
    // Never below zero: `agent` answers twice, and a request may be answered after its client left.
    for (;;) {
      const n = Atomics.load(this.#words, GATE_CONV_INFLIGHT);
      if (n <= 0) return;
      if (Atomics.compareExchange(this.#words, GATE_CONV_INFLIGHT, n, n - 1) === n) {
        if (n === 1) this.#idle.wake();
        return;
      }
    }
  }

  // ------------------------------------------------------------- ops worker

  /** True while a conversation request is in flight (may be stale). */
  busy(): boolean {
    return Atomics.load(this.#words, GATE_CONV_INFLIGHT) > 0;
  }

  /** Resolves true when no conversation request is in flight, or false after `maxMs`. */
  async idle(maxMs: number): Promise<boolean> {
    const sleep = this.#idle.sleepUnless(() => !this.busy(), maxMs);
    if (!sleep) return true;
    return (await sleep) !== 'timed-out' || !this.busy();
  }
}
