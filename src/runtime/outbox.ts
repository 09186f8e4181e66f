import { eventOpenRaw, resErr, resOk, type ErrorShape } from '../protocol/frames.js';
import type { OutChannel } from '../queue/out-channel.js';
import { Lane, OutKind, type LaneId } from '../queue/records.js';

/** Connection key on the main thread: worker index and that worker's connection id. */
export type ConnKey = number;
const WORKER_SPAN = 2 ** 32;
export const connKey = (worker: number, connId: number): ConnKey => worker * WORKER_SPAN + connId;
export const workerOf = (key: ConnKey): number => Math.floor(key / WORKER_SPAN);
export const connIdOf = (key: ConnKey): number => key % WORKER_SPAN;

/** A worker's outbound channels by lane (the same channel may serve both). */
export type WorkerOut = [conv: OutChannel, ops: OutChannel];

/**
 * Everything the runtime sends leaves through here: replies and events,
 * addressed by connection key and lane. Fan-outs are grouped per worker, so
 * an event for a thousand subscribers is one ring record, not a thousand.
 */
export class Outbox {
  readonly #workers: WorkerOut[];
  /** Distinct channels per lane, computed once (the runtime asks before every ops record). */
  readonly #distinct: [OutChannel[], OutChannel[]];
  /** Frames addressed to clients, by lane (a fan-out to N connections counts N): for /metrics. */
  readonly sent: [number, number] = [0, 0];

  constructor(workers: WorkerOut[]) {
    this.#workers = workers;
    this.#distinct = [Lane.CONV, Lane.OPS].map((lane) => [...new Set(workers.map((w) => w[lane]))]) as [OutChannel[], OutChannel[]];
  }

  channel(worker: number, lane: LaneId): OutChannel {
    return this.#workers[worker]![lane];
  }

  /** Distinct channels (for backpressure checks). Do not modify the array. */
  channels(lane: LaneId): readonly OutChannel[] {
    return this.#distinct[lane];
  }

  ok(key: ConnKey, lane: LaneId, id: string, payload: unknown): void {
    this.#one(key, lane, OutKind.FRAME, resOk(id, payload));
  }

  fail(key: ConnKey, lane: LaneId, id: string, error: ErrorShape): void {
    this.#one(key, lane, OutKind.FRAME, resErr(id, error));
  }

  event(keys: Iterable<ConnKey>, lane: LaneId, event: string, payload: unknown): void {
    this.eventRaw(keys, lane, event, JSON.stringify(payload));
  }

  /** An event whose payload is already JSON text. */
  eventRaw(keys: Iterable<ConnKey>, lane: LaneId, event: string, payloadJson: string): void {
    // Grouped by worker in an array indexed by worker (there are one or
    // two): a Map per ops event was a measurable share of the runtime's
    // allocations under a flood.
    const byWorker: (number[] | undefined)[] = [];
    for (const k of keys) (byWorker[workerOf(k)] ??= []).push(connIdOf(k));
    if (byWorker.length === 0) return;
    const frame = eventOpenRaw(event, payloadJson);
    for (let w = 0; w < byWorker.length; w++) {
      const ids = byWorker[w];
      if (!ids) continue;
      this.sent[lane] += ids.length;
      this.#workers[w]![lane].send(OutKind.EVENT, ids, frame);
    }
  }

  close(key: ConnKey, code: number, reason: string): void {
    this.#workers[workerOf(key)]![Lane.CONV].send(OutKind.CLOSE, [connIdOf(key)], JSON.stringify({ code, reason }));
  }

  #one(key: ConnKey, lane: LaneId, kind: number, body: string): void {
    this.sent[lane]++;
    this.#workers[workerOf(key)]![lane].send(kind, [connIdOf(key)], body);
  }
}
