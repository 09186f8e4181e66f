import { RingProducer } from '../queue/producer.js';
import { InKind, Lane, type LaneId } from '../queue/records.js';
import { Ring } from '../queue/ring.js';
import type { Signal } from '../queue/signal.js';
import { Pause, type Conn } from './conn.js';

const LANE_BIT = [1, 2] as const;
const PAUSE_FOR = [Pause.CONV_RING, Pause.OPS_RING] as const;

interface LaneState {
  producer: RingProducer;
  /** Connections paused because their record was held on this lane. */
  paused: Set<Conn>;
}

/**
 * A socket worker's inbound side: one producer per lane ring it owns.
 *
 * Backpressure is per connection: when a connection's record has to be held
 * because its lane's ring is full, that connection stops being read until
 * the ring drains. Connections on the other lane keep flowing, so in
 * single-port mode a flood of ops deliveries never pauses a chat-only socket.
 */
export class Inbound {
  readonly #lanes: (LaneState | null)[];
  readonly #onStall: (lane: LaneId) => void;

  readonly #onResume: (lane: LaneId, paused: number) => void;

  constructor(
    rings: { conv: SharedArrayBuffer | null; ops: SharedArrayBuffer | null },
    doorbell: Signal,
    onStall: (lane: LaneId) => void,
    onResume: (lane: LaneId, paused: number) => void,
  ) {
    this.#onStall = onStall;
    this.#onResume = onResume;
    this.#lanes = [this.#lane(rings.conv, doorbell, Lane.CONV), this.#lane(rings.ops, doorbell, Lane.OPS)];
  }

  #lane(sab: SharedArrayBuffer | null, doorbell: Signal, lane: LaneId): LaneState | null {
    if (!sab) return null;
    const state: LaneState = {
      paused: new Set(),
      producer: new RingProducer(new Ring(sab), doorbell, {
        onStall: () => this.#onStall(lane),
        onResume: () => {
          this.#onResume(lane, state.paused.size);
          for (const c of state.paused) c.resume(PAUSE_FOR[lane]);
          state.paused.clear();
        },
      }),
    };
    return state;
  }

  /** Largest request body the lane's ring can carry. */
  maxBody(lane: LaneId): number {
    return this.#lanes[lane]?.producer.maxBody ?? 0;
  }

  /** Writes a validated request; pauses the connection if it had to be held. */
  request(conn: Conn, lane: LaneId, body: Uint8Array | string, split: boolean): void {
    const l = this.#lanes[lane]!;
    if (conn.useLane(LANE_BIT[lane])) this.#push(conn, l, lane, InKind.OPEN, this.#openBody(conn));
    this.#push(conn, l, lane, split ? InKind.REQUEST_WITH_PAYLOAD : InKind.REQUEST, body);
  }

  /** Tells every lane the connection used that it is gone (after its last request there). */
  closed(conn: Conn): void {
    for (const lane of [Lane.CONV, Lane.OPS] as const) {
      const l = this.#lanes[lane];
      if (!l || !conn.usedLane(LANE_BIT[lane])) continue;
      l.paused.delete(conn);
      l.producer.push(InKind.CLOSE, lane, conn.id, '');
    }
  }

  #push(conn: Conn, l: LaneState, lane: LaneId, kind: number, body: Uint8Array | string): void {
    if (!l.producer.push(kind, lane, conn.id, body) && !l.paused.has(conn)) {
      l.paused.add(conn);
      conn.pause(PAUSE_FOR[lane]);
    }
  }

  #openBody(conn: Conn): string {
    const id = conn.identity;
    return JSON.stringify({ client: id?.client ?? null, role: id?.role ?? 'operator', scopes: [...conn.scopes], remote: conn.remote });
  }
}
