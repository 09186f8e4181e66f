import type { OpsLane } from '../protocol/methods.js';
import { Lane } from '../queue/records.js';
import type { OpsEntry, OpsLog, NewOpsEntry } from '../state/ops-log.js';
import type { ConnKey, Outbox } from './outbox.js';

/** Events sent to one catching-up subscriber per step of the replay pump. */
export const REPLAY_BATCH = 64;

interface Subscription {
  conn: ConnKey;
  sessionKey: string | null;
  lanes: ReadonlySet<OpsLane> | null;
  /** Last seq this subscription has considered (sent or filtered out). */
  cursor: number;
  /** A replay step is queued for it. */
  pumping: boolean;
}

export interface SubscribeParams {
  sessionKey?: string;
  lanes?: OpsLane[];
  afterSeq?: number;
}

/**
 * Accepts deliveries into the ops log and fans them out to subscribers.
 *
 * Each subscription has a cursor. A caught-up subscription (cursor ==
 * seq - 1) receives a new entry live; one that is behind (replaying after
 * `afterSeq`) is fed from the log by a pump that sends a bounded batch per
 * step and re-queues itself on the ops lane, so a long replay never holds a
 * chat. Live and replay share the cursor, so there is no gap and no
 * duplicate at the switch-over.
 */
export class OpsHub {
  readonly #log: OpsLog;
  readonly #out: Outbox;
  readonly #subs = new Map<ConnKey, Subscription>();
  /** Queues a replay step as ops-lane work. */
  readonly #schedule: (step: () => void) => void;
  readonly #onEntry: (e: OpsEntry) => void;
  delivered = 0;
  /** Subscriptions with afterSeq whose range was still retained, and those that were not. */
  replays = 0;
  replaysUnrecovered = 0;
  /** Events sent by replays (the pump), not live. */
  replayed = 0;

  constructor(log: OpsLog, out: Outbox, schedule: (step: () => void) => void, onEntry: (e: OpsEntry) => void = () => {}) {
    this.#log = log;
    this.#out = out;
    this.#schedule = schedule;
    this.#onEntry = onEntry;
  }

  get headSeq(): number {
    return this.#log.headSeq;
  }

  get firstSeq(): number {
    return this.#log.firstSeq;
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  /** Numbers and stores a delivery, then sends it to caught-up subscribers. */
  accept(d: NewOpsEntry): { seq: number; duplicate: boolean } {
    const r = this.#log.append(d);
    if (!r.duplicate) {
      // Field by field, not `{ ...d, seq }`: with the spread, the main
      // thread's young-generation collections promoted far more under a
      // flood, and their pauses are where chats wait (docs/architecture.md).
      const e: OpsEntry = {
        seq: r.seq,
        lane: d.lane,
        sessionKey: d.sessionKey,
        kind: d.kind,
        idempotencyKey: d.idempotencyKey,
        ts: d.ts,
        payloadJson: d.payloadJson,
      };
      this.#publish(e);
      this.#onEntry(e);
    }
    return r;
  }

  /**
   * Replaces the connection's subscription. Returns the answer for the
   * client; the caller sends it before any event (replay starts on a later
   * ops-lane step).
   */
  subscribe(conn: ConnKey, p: SubscribeParams): { recovered: boolean; headSeq: number; firstSeq: number } {
    const head = this.#log.headSeq;
    const first = this.#log.firstSeq;
    let cursor = head;
    let recovered = true;
    if (p.afterSeq !== undefined) {
      // Asked for more than is retained, or for a future the log never had:
      // the client must reload. It still gets what is retained.
      recovered = p.afterSeq >= first - 1 && p.afterSeq <= head;
      if (recovered) this.replays++;
      else this.replaysUnrecovered++;
      cursor = Math.min(head, Math.max(p.afterSeq, first - 1));
    }
    const sub: Subscription = {
      conn,
      sessionKey: p.sessionKey ?? null,
      lanes: p.lanes ? new Set(p.lanes) : null,
      cursor,
      pumping: false,
    };
    this.#subs.set(conn, sub);
    if (cursor < head) this.#queuePump(sub);
    return { recovered, headSeq: head, firstSeq: first };
  }

  unsubscribe(conn: ConnKey): boolean {
    return this.#subs.delete(conn);
  }

  #matches(sub: Subscription, e: OpsEntry): boolean {
    return (sub.sessionKey === null || sub.sessionKey === e.sessionKey) && (sub.lanes === null || sub.lanes.has(e.lane));
  }

  #publish(e: OpsEntry): void {
    const to: ConnKey[] = [];
    for (const sub of this.#subs.values()) {
      if (sub.cursor !== e.seq - 1) continue; // behind: its pump will reach this entry
      sub.cursor = e.seq;
      if (this.#matches(sub, e)) to.push(sub.conn);
    }
    if (to.length > 0) this.#send(to, e);
  }

  #send(to: ConnKey[], e: OpsEntry): void {
    this.delivered += to.length;
    this.#out.eventRaw(to, Lane.OPS, 'ops', opsEventJson(e));
  }

  #queuePump(sub: Subscription): void {
    if (sub.pumping) return;
    sub.pumping = true;
    this.#schedule(() => this.#pump(sub));
  }

  #pump(sub: Subscription): void {
    sub.pumping = false;
    if (this.#subs.get(sub.conn) !== sub) return; // replaced or gone
    const batch = this.#log.readAfter(sub.cursor, REPLAY_BATCH);
    for (const e of batch) {
      sub.cursor = e.seq;
      if (this.#matches(sub, e)) {
        this.#send([sub.conn], e);
        this.replayed++;
      }
    }
    if (sub.cursor < this.#log.headSeq) this.#queuePump(sub);
  }
}

/** The `ops` event payload, built around the stored payload text without parsing it. */
export function opsEventJson(e: OpsEntry): string {
  return `{"seq":${e.seq},"lane":${JSON.stringify(e.lane)},"sessionKey":${JSON.stringify(e.sessionKey)},"kind":${JSON.stringify(e.kind)},"idempotencyKey":${JSON.stringify(e.idempotencyKey)},"ts":${e.ts},"payload":${e.payloadJson}}`;
}
