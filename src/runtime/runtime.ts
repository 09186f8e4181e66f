import type { AgentRouter } from '../agents/router.js';
import type { TaskSpec } from '../agents/types.js';
import type { OpsLane } from '../protocol/methods.js';
import type { RuntimeFigures } from '../metrics/registry.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { decodeDeliver } from '../queue/deliver-record.js';
import { err, ErrorCode } from '../protocol/frames.js';
import { PriorityConsumer, type LaneSource } from '../queue/priority.js';
import { IN_CONN, IN_HEADER_BYTES, IN_KIND, IN_TIME, InKind, Lane, nowMs, RecordView, type LaneId } from '../queue/records.js';
import { Ring } from '../queue/ring.js';
import { Signal } from '../queue/signal.js';
import { convMethods, unknownMethod } from '../methods/conv.js';
import { Histogram } from '../metrics/histogram.js';
import { LocalQueue } from './local-queue.js';
import { OpsHub } from './ops-hub.js';
import { MemoryOpsLog } from '../state/memory-ops-log.js';
import type { OpsLog } from '../state/ops-log.js';
import { opsMethods } from '../methods/ops.js';
import { connKey, type ConnKey, type Outbox } from './outbox.js';
import { Request, type Handler } from '../methods/request.js';
import { RunManager, type ChatUpdate } from './runs.js';
import { SessionStore } from './sessions.js';
import { describeHealth, describeStatus } from './status.js';
import type { TaskPool } from '../tasks/pool.js';
import type { SessionShare, SharedSessionsSink } from './session-share.js';
import type { HistoryEntry } from './sessions.js';

/** Records handled per event-loop turn before the runtime yields to timers and I/O. */
const MAX_PER_TURN = 256;
/** ...or this many milliseconds, whichever comes first (a reply's deltas run between turns). */
const TURN_BUDGET_MS = 1;

export interface InboundRing {
  sab: SharedArrayBuffer;
  /** Index of the socket worker producing into it (connection keys use it). */
  worker: number;
  lane: LaneId;
  name: string;
}

export interface RuntimeHooks {
  connection(key: ConnKey, lane: LaneId, open: boolean, info: Record<string, unknown> | null): void;
  ops(seq: number, lane: string, sessionKey: string, kind: string): void;
  backpressure(engaged: boolean, backlogBytes: number): void;
  /** The listener of chat state changes, or null when nobody listens (nothing is built then). */
  chat?: () => ((u: ChatUpdate) => void) | null;
  /** Something failed inside the runtime (logged too); the gateway keeps running. */
  error?: (e: unknown, what: string) => void;
}

/** An ops delivery handed over in-process (Gateway.deliver, an agent's ctx.deliver). */
export interface LocalDelivery {
  lane: OpsLane;
  sessionKey: string;
  kind: string;
  idempotencyKey: string;
  payload: unknown;
}

export interface RuntimeOptions {
  config: Config;
  doorbell: SharedArrayBuffer;
  inbound: InboundRing[];
  outbox: Outbox;
  agents: AgentRouter;
  tasks: TaskPool;
  log: Logger;
  hooks: RuntimeHooks;
  startedAt: number;
  version: string;
  /** Per-port connection and refusal counters from the socket workers (for `status`). */
  edge?: () => Record<string, unknown>;
  /** Per-lane queue-wait observers (seconds) for /metrics, fed once per request record. */
  queueWait?: readonly [QueueWaitObserver, QueueWaitObserver];
  /** Scale-out: chat sessions shared with other instances. */
  share?: SessionShare;
  /** The ops log (the state directory's, or a shared one); default: a memory log with the configured retention. */
  opsLog?: OpsLog;
}

export interface QueueWaitObserver {
  observe(seconds: number): void;
}

const NO_OBSERVER: QueueWaitObserver = { observe() {} };

interface ConnState {
  info: Record<string, unknown> | null;
  lanes: number;
}

/**
 * The main-thread agent runtime: takes records conversation-first from the
 * inbound rings, answers them, runs the agent, and feeds the ops log.
 */
export class Runtime {
  readonly #o: RuntimeOptions;
  readonly #consumer: PriorityConsumer;
  readonly #handlers: Record<string, Handler>;
  readonly #rings: { ring: Ring; def: InboundRing }[] = [];
  readonly #wait: [Histogram, Histogram] = [new Histogram(), new Histogram()];
  readonly #conns = new Map<ConnKey, ConnState>();
  readonly #watchers = new Set<ConnKey>();
  readonly #local = new LocalQueue();
  readonly #sessions: SessionStore;
  readonly #runs: RunManager;
  readonly #hub: OpsHub;
  readonly #opsLog: OpsLog;
  #gated = false;
  /** Requests taken per lane (conv, ops). */
  readonly framesIn: [number, number] = [0, 0];

  constructor(o: RuntimeOptions) {
    this.#o = o;
    this.#sessions = new SessionStore(o.config.historyLimit);
    this.#opsLog = o.opsLog ?? o.config.opsLog ?? new MemoryOpsLog({ entries: o.config.opsRetention, bytes: o.config.opsRetentionBytes, ms: o.config.opsRetentionMs });
    this.#hub = new OpsHub(this.#opsLog, o.outbox, (step) => this.#later(step), (e) => o.hooks.ops(e.seq, e.lane, e.sessionKey, e.kind));
    this.#runs = new RunManager({
      out: o.outbox,
      sessions: this.#sessions,
      watchers: () => this.#watchers,
      spawn: (runId, sessionKey, tasks) => this.#spawn(runId, sessionKey, tasks),
      deliver: (sessionKey, d) => this.deliver({ lane: d.lane ?? 'subagent', sessionKey, kind: d.kind, idempotencyKey: d.idempotencyKey, payload: d.payload }),
      onChat: o.hooks.chat ?? null,
      onError: (e) => this.#failed(e, 'run event failed'),
      ...(o.share ? { share: o.share } : {}),
    });
    this.#handlers = {
      ...convMethods({
        agents: o.agents,
        runs: this.#runs,
        sessions: this.#sessions,
        watchers: this.#watchers,
        health: () => describeHealth(this.#sessions, o.agents),
        status: () => this.status(),
        ...(o.share ? { share: o.share } : {}),
      }),
      ...opsMethods(this.#hub, o.log),
    };
    const conv: LaneSource[] = [];
    const ops: LaneSource[] = [];
    for (const def of o.inbound) {
      const ring = new Ring(def.sab);
      this.#rings.push({ ring, def });
      (def.lane === Lane.CONV ? conv : ops).push(this.#ringSource(ring, def));
    }
    ops.push(this.#local);
    // The log's finished writes: resolving their appends sends acks and events, so they are ops work.
    if (this.#opsLog.completions) ops.push(this.#opsLog.completions);
    for (const ch of o.outbox.channels(Lane.OPS)) ch.onDrain = () => this.#consumer.kick();
    this.#consumer = new PriorityConsumer(Signal.over(o.doorbell), conv, ops, {
      maxPerTurn: MAX_PER_TURN,
      turnBudgetMs: TURN_BUDGET_MS,
      opsOpen: () => this.#opsOpen(),
      onError: (e) => this.#failed(e, 'record handling failed'),
    });
  }

  start(): void {
    this.#consumer.start();
  }

  /** What a session share (scale-out) tells this runtime about the other instances. */
  readonly sharedSessions: SharedSessionsSink = {
    remoteEvent: (_sessionKey, event, payload) => {
      if (this.#watchers.size > 0) this.#o.outbox.event(this.#watchers, Lane.CONV, event, payload);
    },
    remoteEntry: (sessionKey, entry) => {
      const session = this.#sessions.find(sessionKey);
      if (!session || session.adopt(entry)) return;
      // A gap (an entry published while this instance was not listening): reload the stored transcript.
      this.#o.share?.load(sessionKey, this.#sessions.limit).then(
        (entries: HistoryEntry[]) => this.#sessions.find(sessionKey)?.replace(entries),
        () => {},
      );
    },
    activeTurns: (sessionKey) => this.#sessions.find(sessionKey)?.active.size ?? 0,
    adoptTranscript: (sessionKey, entries) => this.#sessions.get(sessionKey).replace(entries),
  };

  stop(): void {
    this.#runs.abortAll();
    this.#consumer.stop();
  }

  /** The ops log, for the gateway's drain (sync) and stop (close). */
  get opsLog(): OpsLog {
    return this.#opsLog;
  }

  /** Queue-wait summaries (ms) per lane: enqueue in the worker to dequeue here. */
  queueWait(): { conv: ReturnType<Histogram['summary']>; ops: ReturnType<Histogram['summary']> } {
    return { conv: this.#wait[Lane.CONV].summary(), ops: this.#wait[Lane.OPS].summary() };
  }

  /** The figures /metrics reads at scrape time. */
  figures(): RuntimeFigures {
    const backlog = (lane: LaneId): number => Math.max(...this.#o.outbox.channels(lane).map((c) => c.backlogBytes));
    return {
      framesIn: this.framesIn,
      framesOut: this.#o.outbox.sent,
      outBacklogBytes: [backlog(Lane.CONV), backlog(Lane.OPS)],
      replays: { recovered: this.#hub.replays, reload: this.#hub.replaysUnrecovered },
      replayedEvents: this.#hub.replayed,
      opsHeadSeq: this.#hub.headSeq,
      opsSubscribers: this.#hub.subscriberCount,
      activeRuns: this.#runs.activeCount,
      tasksQueued: this.#o.tasks.queued,
      tasksCompleted: this.#o.tasks.completed,
    };
  }

  status(): Record<string, unknown> {
    return describeStatus({
      version: this.#o.version,
      config: this.#o.config,
      agents: this.#o.agents,
      startedAt: this.#o.startedAt,
      sessions: this.#sessions,
      rings: this.#rings.map(({ ring, def }) => ({ name: def.name, ring })),
      outbox: this.#o.outbox,
      queueWait: this.queueWait(),
      connections: this.#conns.size,
      activeRuns: this.#runs.activeCount,
      requests: this.framesIn[Lane.CONV] + this.framesIn[Lane.OPS],
      ops: { epoch: this.#hub.epoch, headSeq: this.#hub.headSeq, firstSeq: this.#hub.firstSeq, subscribers: this.#hub.subscriberCount, delivered: this.#hub.delivered },
      tasks: { completed: this.#o.tasks.completed, queued: this.#o.tasks.queued },
      edge: this.#o.edge?.(),
    });
  }

  /**
   * Ops work is taken only while every outbound ops ring has headroom, so a
   * worker that cannot send as fast as the runtime answers pushes back into
   * the inbound ring (shared memory, then TCP) rather than into frames held
   * on this thread's heap, where every young-generation collection would
   * copy them.
   */
  #opsOpen(): boolean {
    const headroom = this.#o.config.opsOutHeadroom;
    let gated = false;
    let backlog = 0;
    for (const ch of this.#o.outbox.channels(Lane.OPS)) {
      if (ch.hasRoom(headroom)) continue;
      gated = true;
      backlog = Math.max(backlog, ch.backlogBytes);
      // Held frames wake us through onDrain; otherwise wait for the worker to free ring space.
      if (ch.backlogBytes === 0) ch.onRoom(headroom, () => this.#consumer.kick());
    }
    if (gated !== this.#gated) {
      this.#gated = gated;
      this.#o.hooks.backpressure(gated, backlog);
    }
    return !gated;
  }

  #failed(e: unknown, what: string): void {
    this.#o.log.error({ err: e }, what);
    this.#o.hooks.error?.(e, what);
  }

  /** Ops-lane work created on this thread (replay steps, task results): taken like an ops record. */
  #later(step: () => void): void {
    this.#local.push(step);
    this.#consumer.kick();
  }

  /**
   * Accepts a delivery made in this process, on the ops lane like one that
   * arrived on a socket (it waits behind chats, never ahead of them).
   * Resolves with its seq; a repeated idempotencyKey gets the first answer.
   */
  deliver(d: LocalDelivery): Promise<{ seq: number; duplicate: boolean }> {
    return new Promise((resolve, reject) => {
      let payloadJson: string | undefined;
      try {
        payloadJson = JSON.stringify(d.payload);
      } catch (e) {
        return reject(e);
      }
      if (payloadJson === undefined) payloadJson = 'null';
      const entry = { lane: d.lane, sessionKey: d.sessionKey, kind: d.kind, idempotencyKey: d.idempotencyKey, ts: Date.now(), payloadJson };
      this.#later(() => {
        try {
          this.#hub.accept(entry).then(resolve, reject);
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  #spawn(runId: string, sessionKey: string, tasks: TaskSpec[]): void {
    tasks.forEach((task, i) => {
      const deliver = (kind: string, payload: unknown): void =>
        this.#later(() => {
          this.#hub
            .accept({
              lane: 'subagent',
              sessionKey,
              kind,
              idempotencyKey: `${runId}:subagent:${i + 1}`,
              ts: Date.now(),
              payloadJson: JSON.stringify(payload),
            })
            .catch((e: unknown) => this.#o.log.error({ err: e, runId }, 'sub-agent result could not be stored in the ops log'));
        });
      this.#o.tasks.run(task).then(
        (result) => deliver('subagent.result', { runId, index: i + 1, of: tasks.length, ...result }),
        (e: unknown) => deliver('subagent.error', { runId, index: i + 1, of: tasks.length, label: task.label, error: e instanceof Error ? e.message : String(e) }),
      );
    });
  }

  #ringSource(ring: Ring, def: InboundRing): LaneSource {
    const reader = new RecordView(ring);
    const text = Buffer.from(ring.sab, ring.bytes.byteOffset, ring.capacity);
    const hist = this.#wait[def.lane];
    const observer = this.#o.queueWait?.[def.lane] ?? NO_OBSERVER;
    const lane = def.lane;
    const handle = (at: number, length: number): void => {
      const kind = reader.u8(at + IN_KIND);
      const key = connKey(def.worker, reader.u32(at + IN_CONN));
      const body = text.toString('utf8', at + IN_HEADER_BYTES, at + length);
      if (kind === InKind.REQUEST || kind === InKind.REQUEST_WITH_PAYLOAD) {
        const waitMs = nowMs() - reader.f64(at + IN_TIME);
        hist.record(waitMs);
        observer.observe(waitMs / 1000);
        this.framesIn[lane]++;
        this.#request(key, def.lane, body, kind === InKind.REQUEST_WITH_PAYLOAD);
      } else if (kind === InKind.OPEN) this.#open(key, def.lane, body);
      else if (kind === InKind.CLOSE) this.#close(key, def.lane);
    };
    const log = this.#opsLog;
    // A log whose write backlog is full stops new deliveries here: they stay
    // in the ring, then in TCP (backpressure, as for a full outbound ring).
    if (lane === Lane.OPS && 'backlogged' in log) {
      return { take: (max) => (log.backlogged ? 0 : ring.drainAt(max, handle)), hasWork: () => !log.backlogged && !ring.isEmpty() };
    }
    return { take: (max) => ring.drainAt(max, handle), hasWork: () => !ring.isEmpty() };
  }

  #request(key: ConnKey, lane: LaneId, body: string, split: boolean): void {
    let req: Request;
    if (split) {
      const { id, route, payloadJson } = decodeDeliver(body);
      req = new Request(this.#o.outbox, key, lane, { id, method: 'ops.deliver', params: route }, payloadJson);
    } else {
      req = new Request(this.#o.outbox, key, lane, JSON.parse(body) as { id: string; method: string }, null);
    }
    try {
      (this.#handlers[req.method] ?? unknownMethod)(req);
    } catch (e) {
      this.#failed(e, `request failed: ${req.method}`);
      req.fail(err(ErrorCode.UNAVAILABLE, `internal error in ${req.method}`, { retryable: true }));
    }
  }

  #open(key: ConnKey, lane: LaneId, body: string): void {
    let c = this.#conns.get(key);
    if (!c) this.#conns.set(key, (c = { info: JSON.parse(body) as Record<string, unknown>, lanes: 0 }));
    c.lanes |= 1 << lane;
    this.#o.hooks.connection(key, lane, true, c.info);
  }

  #close(key: ConnKey, lane: LaneId): void {
    const c = this.#conns.get(key);
    if (lane === Lane.OPS) this.#hub.unsubscribe(key);
    else this.#watchers.delete(key);
    this.#o.hooks.connection(key, lane, false, c?.info ?? null);
    if (!c) return;
    c.lanes &= ~(1 << lane);
    if (c.lanes === 0) this.#conns.delete(key);
  }
}
