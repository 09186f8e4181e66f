import type { ConvGate } from '../queue/conv-gate.js';
import { Pause, type Conn } from './conn.js';

/** Longest the ops worker holds back its reads or its sends for one conversation request. */
export const MAX_YIELD_MS = 5;
/** Pause after a read yield that ran out its time, before the ops worker yields again: a count that never drains must not starve ops. */
const YIELD_BACKOFF_MS = 50;

/**
 * The ops worker's admission control, both halves (dual-port mode): while
 * the conv worker has a conversation request in flight (ConvGate), the ops
 * worker stops reading its sockets and stops sending, each for at most
 * MAX_YIELD_MS, so the chat's three thread hops find a free core. Ops
 * traffic slows (TCP pushes back on its senders); nothing is dropped: a
 * frame that arrived while yielding is kept and handled right after.
 */
export class OpsYield {
  readonly #gate: ConvGate;
  readonly #conns: () => Iterable<Conn>;
  readonly #handle: (conn: Conn, data: Buffer, isBinary: boolean) => void;
  #yielding = false;
  /** Frames that arrived (already buffered by ws) while yielding: handled, in order, right after. */
  #deferred: { conn: Conn; data: Buffer; isBinary: boolean }[] = [];
  /** After a yield that timed out, none until then. */
  #noYieldUntil = 0;

  /** `handle` takes a deferred frame once the yield ends (the port's admission). */
  constructor(gate: ConvGate, conns: () => Iterable<Conn>, handle: (conn: Conn, data: Buffer, isBinary: boolean) => void) {
    this.#gate = gate;
    this.#conns = conns;
    this.#handle = handle;
  }

  /**
   * Read half, for each authenticated frame: true when the frame was kept
   * for after the yield (the caller does nothing more with it). Parsing is
   * the ops worker's main cost, so the bytes wait, not a parsed request.
   */
  deferRead(conn: Conn, data: Buffer, isBinary: boolean): boolean {
    if (!this.#yielding && this.#gate.busy() && performance.now() >= this.#noYieldUntil) void this.#yieldReads();
    if (!this.#yielding) return false;
    this.#deferred.push({ conn, data, isBinary });
    return true;
  }

  /**
   * Send half, before each outbound turn: true when sends are held back;
   * `resume` then runs once the conversation request is answered, or after
   * MAX_YIELD_MS at the latest.
   */
  holdSends(resume: () => void): boolean {
    if (!this.#gate.busy()) return false;
    void this.#gate.idle(MAX_YIELD_MS).then(resume);
    return true;
  }

  /** Stops reading every socket (the frame at hand is still kept); TCP holds back the rest. */
  async #yieldReads(): Promise<void> {
    this.#yielding = true;
    const paused = [...this.#conns()];
    for (const c of paused) c.pause(Pause.CONV_GATE);
    if (!(await this.#gate.idle(MAX_YIELD_MS))) this.#noYieldUntil = performance.now() + YIELD_BACKOFF_MS;
    this.#yielding = false;
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const d of deferred) this.#handle(d.conn, d.data, d.isBinary);
    for (const c of paused) c.resume(Pause.CONV_GATE);
  }
}
