import type { OpsLane } from '../protocol/methods.js';
import { Lane } from '../queue/records.js';
import type { AppendResult, NewOpsEntry, OpsEntry, OpsLog } from '../state/ops-log.js';
import type { ConnKey, Outbox } from './outbox.js';

/** Events sent to one catching-up subscriber per step of the replay pump. */
export const REPLAY_BATCH = 64;
/** Wait before retrying a replay read that failed. */
const READ_RETRY_MS = 250;

interface Subscription {
  conn: ConnKey;
  sessionKey: string | null;
  lanes: ReadonlySet<OpsLane> | null;
  /** Last seq this subscription has considered (sent or filtered out). */
  cursor: number;
  /** A replay step is queued or its read is in flight. */
  pumping: boolean;
}

export interface SubscribeParams {
  sessionKey?: string;
  lanes?: OpsLane[];
  afterSeq?: number;
  /** The epoch the client's afterSeq belongs to (from hello-ok snapshot.opsEpoch or an earlier answer). */
  epoch?: string;
}

export interface SubscribeAnswer {
  recovered: boolean;
  headSeq: number;
  firstSeq: number;
  epoch: string;
}

/**
 * Accepts deliveries into the ops log and fans out the log's feed to
 * subscribers.
 *
 * The hub sends what the feed gives it, not what it appended itself: the
 * feed yields each entry once it is durable, in seq order, whoever
 * appended it (another instance, for a shared log). Each subscription has
 * a cursor. A caught-up subscription (cursor == seq - 1) receives a new
 * entry live; one that is behind (replaying after `afterSeq`) is fed from
 * the log by a pump that sends a bounded batch per step and re-queues
 * itself on the ops lane, so a long replay never holds a chat. Live and
 * replay share the cursor, so there is no gap and no duplicate at the
 * switch-over.
 */
export class OpsHub {
  readonly #log: OpsLog;
  readonly #out: Outbox;
  readonly #subs = new Map<ConnKey, Subscription>();
  /** Queues a replay step as ops-lane work. */
  readonly #schedule: (step: () => void) => void;
  readonly #onEntry: (e: OpsEntry) => void;
  /** The last seq the feed gave us: what subscribers can be live at. */
  #head: number;
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
    this.#head = log.headSeq;
    log.feed.subscribe((e) => {
      this.#head = e.seq;
      this.#publish(e);
      this.#onEntry(e);
    });
  }

  get headSeq(): number {
    return this.#head;
  }

  get firstSeq(): number {
    return this.#log.firstSeq;
  }

  get epoch(): string {
    return this.#log.epoch;
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  /** Numbers and stores a delivery; resolves once it is durable and its event has gone to caught-up subscribers. */
  accept(d: NewOpsEntry): Promise<AppendResult> {
    return this.#log.append(d);
  }

  /**
   * Replaces the connection's subscription. Returns the answer for the
   * client; the caller sends it before any event (replay starts on a later
   * ops-lane step).
   */
  subscribe(conn: ConnKey, p: SubscribeParams): SubscribeAnswer {
    const head = this.#head;
    const first = this.#log.firstSeq;
    const epoch = this.#log.epoch;
    let cursor = head;
    let recovered = true;
    if (p.afterSeq !== undefined) {
      // Another epoch's cursor, a range no longer retained, or a future the
      // log never had: the client must reload. It still gets what is retained.
      const sameEpoch = p.epoch === undefined || p.epoch === epoch;
      recovered = sameEpoch && p.afterSeq >= first - 1 && p.afterSeq <= head;
      if (recovered) this.replays++;
      else this.replaysUnrecovered++;
      cursor = sameEpoch ? Math.min(head, Math.max(p.afterSeq, first - 1)) : first - 1;
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
    return { recovered, headSeq: head, firstSeq: first, epoch };
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
    if (this.#subs.get(sub.conn) !== sub) return; // replaced or gone
    this.#log.readAfter(sub.cursor, REPLAY_BATCH).then(
      (batch) => {
        sub.pumping = false;
        if (this.#subs.get(sub.conn) !== sub) return;
        for (const e of batch) {
          // Entries the feed delivered while the read was in flight were
          // skipped for this subscription (it was behind): the cursor only
          // moves forward, so none is sent twice.
          if (e.seq <= sub.cursor) continue;
          sub.cursor = e.seq;
          if (this.#matches(sub, e)) {
            this.#send([sub.conn], e);
            this.replayed++;
          }
        }
        if (batch.length > 0 && sub.cursor < this.#head) this.#queuePump(sub);
      },
      () => {
        // A failed read (a shared log unreachable): try again a little later, not in a tight loop.
        setTimeout(() => {
          sub.pumping = false;
          if (this.#subs.get(sub.conn) === sub) this.#queuePump(sub);
        }, READ_RETRY_MS).unref();
      },
    );
  }
}

/** The `ops` event payload, built around the stored payload text without parsing it. */
export function opsEventJson(e: OpsEntry): string {
  return `{"seq":${e.seq},"lane":${JSON.stringify(e.lane)},"sessionKey":${JSON.stringify(e.sessionKey)},"kind":${JSON.stringify(e.kind)},"idempotencyKey":${JSON.stringify(e.idempotencyKey)},"ts":${e.ts},"payload":${e.payloadJson}}`;
}
