import { msgpackEventOpen } from '../protocol/msgpack.js';
import { OUT_CONNS, OUT_COUNT, OUT_FLAG_MORE, OUT_FLAGS, OUT_KIND, OutKind, outHeaderBytes, RecordView } from '../queue/records.js';
import { Ring } from '../queue/ring.js';
import type { Signal } from '../queue/signal.js';
import type { Conn } from './conn.js';
import type { OpsYield } from './ops-yield.js';

/** Records taken from a lower-priority (ops) out ring per event-loop turn. */
export const LOW_PRIORITY_PER_TURN = 16;
/** Records taken from a conversation out ring per turn: effectively all. */
export const HIGH_PRIORITY_PER_TURN = 4096;

export interface OutboundOptions {
  /** Records per turn for each ring, in ring order. */
  perTurn: number[];
  /** Called once per reply frame taken from ring 0 (the conv worker counts answers for the gate). */
  onReply?: () => void;
  /** Ops worker: hold sends back while a conversation request is in flight (the send half of its yield). */
  yieldTo?: Pick<OpsYield, 'holdSends'>;
}

interface Source {
  ring: Ring;
  reader: RecordView;
  perTurn: number;
  /** Parts of a frame flagged MORE, joined when the last part arrives. */
  parts: Buffer[];
}

/**
 * Drains a socket worker's outbound rings into its sockets, first ring
 * (conversation) first. Lower rings are capped per turn so a burst of ops
 * events cannot hold a chat frame behind it inside this worker either; the
 * worker yields to I/O between turns. Parks on its doorbell with
 * Atomics.waitAsync when every ring is empty.
 */
export class Outbound {
  readonly #sources: Source[];
  readonly #doorbell: Signal;
  readonly #conns: Map<number, Conn>;
  readonly #opt: OutboundOptions;
  #running = true;
  #scheduled = false;
  /** Connections corked during the current turn, uncorked at its end. */
  readonly #corked: Conn[] = [];

  constructor(rings: SharedArrayBuffer[], doorbell: Signal, conns: Map<number, Conn>, options: OutboundOptions) {
    this.#sources = rings.map((sab, i) => {
      const ring = new Ring(sab);
      return { ring, reader: new RecordView(ring), perTurn: options.perTurn[i] ?? LOW_PRIORITY_PER_TURN, parts: [] };
    });
    this.#doorbell = doorbell;
    this.#conns = conns;
    this.#opt = options;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#doorbell.wake();
  }

  /** Sends whatever is already in the rings (used on shutdown). */
  flush(): void {
    for (const s of this.#sources) while (s.ring.drainAt(HIGH_PRIORITY_PER_TURN, (at, len) => this.#dispatch(s, at, len)) > 0);
    this.#uncorkAll();
  }

  #uncorkAll(): void {
    for (const c of this.#corked) c.uncork();
    this.#corked.length = 0;
  }

  #schedule(): void {
    if (this.#scheduled || !this.#running) return;
    this.#scheduled = true;
    setImmediate(this.#turn);
  }

  readonly #turn = (): void => {
    this.#scheduled = false;
    if (!this.#running) return;
    // Leave the CPU to the conversation path; sends resume when it is answered.
    if (this.#opt.yieldTo?.holdSends(this.#turn)) {
      this.#scheduled = true;
      return;
    }
    let more = false;
    for (const s of this.#sources) {
      const n = s.ring.drainAt(s.perTurn, (at, len) => this.#dispatch(s, at, len));
      if (n === s.perTurn) more = true;
    }
    this.#uncorkAll();
    if (more) {
      this.#schedule();
      return;
    }
    const sleep = this.#doorbell.sleepUnless(() => this.#sources.some((s) => !s.ring.isEmpty()));
    if (!sleep) return this.#schedule();
    void sleep.then(() => {
      if (!this.#scheduled) this.#turn();
    });
  };

  #dispatch(s: Source, at: number, length: number): void {
    const r = s.reader;
    const kind = r.u8(at + OUT_KIND);
    const count = r.u16(at + OUT_COUNT);
    const start = at + outHeaderBytes(count);
    // Copy out of the ring: ws keeps the buffer until the socket write ends.
    const part = Buffer.from(s.ring.bytes.subarray(start, at + length));
    if (r.u8(at + OUT_FLAGS) & OUT_FLAG_MORE) {
      s.parts.push(part);
      return;
    }
    if (kind === OutKind.FRAME && s === this.#sources[0]) this.#opt.onReply?.();
    let body = part;
    if (s.parts.length > 0) {
      s.parts.push(part);
      body = Buffer.concat(s.parts);
      s.parts = [];
    }
    // An event's MessagePack form, made for the first MessagePack subscriber and reused for the others.
    let packed: Buffer | null = null;
    const pack = (): Buffer => (packed ??= msgpackEventOpen(body));
    for (let i = 0; i < count; i++) {
      const conn = this.#conns.get(r.u32(at + OUT_CONNS + 4 * i));
      if (!conn) continue;
      if (conn.cork()) this.#corked.push(conn);
      if (kind === OutKind.EVENT) conn.sendEvent(body, pack);
      else if (kind === OutKind.FRAME) conn.send(body);
      else if (kind === OutKind.CLOSE) {
        const { code, reason } = JSON.parse(body.toString('utf8')) as { code: number; reason: string };
        conn.close(code, reason);
      }
    }
  }
}
