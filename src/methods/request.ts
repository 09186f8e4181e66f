import type { Params } from '../protocol/check.js';
import type { ErrorShape } from '../protocol/frames.js';
import type { LaneId } from '../queue/records.js';
import type { ConnKey, Outbox } from '../runtime/outbox.js';

/** One admitted request, decoded from its ring record. */
export class Request {
  readonly conn: ConnKey;
  readonly lane: LaneId;
  readonly id: string;
  readonly method: string;
  readonly params: Params;
  /** ops.deliver only: the payload as JSON text, never parsed on the main thread. */
  readonly payloadJson: string | null;
  readonly #out: Outbox;

  constructor(out: Outbox, conn: ConnKey, lane: LaneId, frame: { id: string; method: string; params?: Params }, payloadJson: string | null) {
    this.#out = out;
    this.conn = conn;
    this.lane = lane;
    this.id = frame.id;
    this.method = frame.method;
    this.params = frame.params ?? {};
    this.payloadJson = payloadJson;
  }

  ok(payload: unknown): void {
    this.#out.ok(this.conn, this.lane, this.id, payload);
  }

  fail(error: ErrorShape): void {
    this.#out.fail(this.conn, this.lane, this.id, error);
  }
}

export type Handler = (req: Request) => void;
