// The gateway's Prometheus registry, on the main thread. Most figures already
// exist as plain numbers (runtime counters) or in shared memory (ring
// indices, the workers' refusal counters): they are read when scraped, in
// prom-client `collect()` callbacks, so serving /metrics adds nothing per
// record. The one per-record figure, the queue wait, is a FastHistogram.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { OPS_LANES, type PortRole } from '../protocol/methods.js';
import type { Ring } from '../queue/ring.js';
import { EdgeCounters, REFUSAL_REASONS } from '../queue/refusals.js';
import { FastHistogram, type Observer } from './fast-histogram.js';

/** Resolution of the main thread's event-loop delay histogram (its timer's period). */
const EVENT_LOOP_SAMPLE_MS = 100;

export const PREFIX = 'lanegate_';

/** Queue-wait bucket bounds in seconds: 50 µs to 1 s (a chat record normally waits well under 1 ms). */
export const QUEUE_WAIT_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

const LANES = ['conv', 'ops'] as const;

/** What the runtime knows, read at scrape time. */
export interface RuntimeFigures {
  /** Requests taken from the inbound rings, by lane (conv, ops). */
  framesIn: readonly [number, number];
  /** Frames addressed to clients, by lane: a fan-out to N connections counts N. */
  framesOut: readonly [number, number];
  /** Outbound bytes held because an out ring was full, by lane (largest per worker). */
  outBacklogBytes: readonly [number, number];
  /** ops.subscribe calls with afterSeq, by whether the log still held everything asked for. */
  replays: { recovered: number; reload: number };
  /** Events sent by replays. */
  replayedEvents: number;
  opsHeadSeq: number;
  opsSubscribers: number;
  activeRuns: number;
  tasksQueued: number;
  tasksCompleted: number;
}

export interface MetricsSources {
  version: string;
  mode: 'single-port' | 'dual-port';
  /** Null until the runtime exists. */
  runtime(): RuntimeFigures | null;
  /** Each port's refusal counters and connection gauge (SharedArrayBuffers its worker writes). */
  edges: { port: PortRole; sab: SharedArrayBuffer }[];
  /** Every ring, inbound and outbound, by name (views over the shared buffers). */
  rings: { name: string; ring: Ring }[];
  /** Scale-out: the Redis link's figures; absent when LANEGATE_REDIS_URL is off. */
  redis?: () => RedisFigures;
}

/** The Redis link, read at scrape time. */
export interface RedisFigures {
  up: boolean;
  reconnects: number;
  /** Transcript writes held for Redis, and those refused because the buffer was full. */
  chatBacklog: number;
  chatRefused: number;
  /** Chat messages (events, entries) received from other instances. */
  chatReceived: number;
  /** Breaks in the shared ops feed (a new log, a rollback, a trim before the read). */
  feedResets: number;
}

type Labelled = [labels: Record<string, string>, value: number];

/**
 * lanegate_* series. `queueWait` holds the per-lane observers the runtime
 * feeds; `opsAccepted` and `workerExit` are called on those (rare or
 * already per-delivery) events; everything else is read on scrape.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly queueWait: readonly [Observer, Observer];
  /** Every ops lane from the start, so each series exists at 0 before its first delivery. */
  readonly #opsByLane = new Map<string, number>(OPS_LANES.map((l) => [l, 0]));
  readonly #exits = new Map<PortRole, number>();

  constructor(s: MetricsSources) {
    const r = this.registry;
    const rt = (): RuntimeFigures | null => s.runtime();
    const edges = s.edges.map((e) => ({ port: e.port, counters: new EdgeCounters(e.sab) }));

    const wait = new FastHistogram({
      name: `${PREFIX}queue_wait_seconds`,
      help: 'Time from a socket worker writing a request into its inbound ring to the runtime taking it, by lane.',
      labelName: 'lane',
      buckets: QUEUE_WAIT_BUCKETS,
    });
    this.queueWait = [wait.child('conv'), wait.child('ops')];
    r.registerMetric(wait.asMetric());

    gauge(r, 'build_info', 'Always 1; labels name the version and the port mode.', ['version', 'mode'], () => [[{ version: s.version, mode: s.mode }, 1]]);
    gauge(r, 'connections', 'Open WebSocket connections per port (upgraded, before or after connect).', ['port'], () =>
      edges.map((e) => [{ port: e.port }, e.counters.snapshot().connections]),
    );
    counter(r, 'frames_in_total', 'Requests the runtime took from the inbound rings, by lane (frames refused at the edge are in refusals_total).', ['lane'], () =>
      perLane(rt()?.framesIn),
    );
    counter(r, 'frames_out_total', 'Frames the runtime sent toward clients, by lane; an event to N connections counts N.', ['lane'], () => perLane(rt()?.framesOut));
    gauge(r, 'out_backlog_bytes', 'Outbound bytes held on the main thread because an out ring was full, by lane.', ['lane'], () => perLane(rt()?.outBacklogBytes));
    gauge(r, 'ring_used_bytes', 'Bytes in use in each ring (records, padding, wrap markers).', ['ring'], () => s.rings.map(({ name, ring }) => [{ ring: name }, ring.usedBytes()]));
    gauge(r, 'ring_capacity_bytes', 'Size of each ring.', ['ring'], () => s.rings.map(({ name, ring }) => [{ ring: name }, ring.capacity]));
    counter(r, 'ring_full_stalls_total', "Times a ring's producer found it full and had to wait (backpressure engaged).", ['ring'], () =>
      s.rings.map(({ name, ring }) => [{ ring: name }, ring.fullCount()]),
    );
    counter(r, 'refusals_total', 'Refused upgrades, rejected frames, cut connections and skipped events at the edge, by port and reason.', ['port', 'reason'], () =>
      edges.flatMap((e) => REFUSAL_REASONS.map((reason): Labelled => [{ port: e.port, reason }, e.counters.get(reason)])),
    );
    counter(r, 'replays_total', 'ops.subscribe calls with afterSeq; recovered="false" when older events than retained were asked for.', ['recovered'], () => {
      const f = rt()?.replays;
      return [
        [{ recovered: 'true' }, f?.recovered ?? 0],
        [{ recovered: 'false' }, f?.reload ?? 0],
      ];
    });
    counter(r, 'replayed_events_total', 'Ops events sent to subscribers by afterSeq replays.', [], () => [[{}, rt()?.replayedEvents ?? 0]]);
    counter(r, 'ops_deliveries_total', 'Deliveries accepted into the ops log (ops.deliver and sub-agent results), by ops lane.', ['lane'], () =>
      [...this.#opsByLane].map(([lane, n]) => [{ lane }, n]),
    );
    gauge(r, 'ops_log_head_seq', 'Newest ops log seq (0 before the first delivery).', [], () => [[{}, rt()?.opsHeadSeq ?? 0]]);
    gauge(r, 'ops_subscribers', 'Connections with an ops.subscribe in force.', [], () => [[{}, rt()?.opsSubscribers ?? 0]]);
    gauge(r, 'active_runs', 'Agent runs in progress.', [], () => [[{}, rt()?.activeRuns ?? 0]]);
    gauge(r, 'tasks_queued', 'Sub-agent tasks waiting for a task thread.', [], () => [[{}, rt()?.tasksQueued ?? 0]]);
    counter(r, 'tasks_completed_total', 'Sub-agent tasks finished by the task pool.', [], () => [[{}, rt()?.tasksCompleted ?? 0]]);
    counter(
      r,
      'worker_exits_total',
      'Socket workers that exited while the gateway ran, by port. There is no restart: the port stays down and /readyz answers 503.',
      ['port'],
      () => edges.map((e) => [{ port: e.port }, this.#exits.get(e.port) ?? 0]),
    );
    const redis = s.redis;
    if (redis) {
      gauge(r, 'redis_up', '1 while the Redis link answers (LANEGATE_REDIS_URL), 0 while it reconnects.', [], () => [[{}, redis().up ? 1 : 0]]);
      counter(r, 'redis_reconnects_total', 'Times the Redis command connection was lost and retried.', [], () => [[{}, redis().reconnects]]);
      gauge(r, 'redis_chat_backlog', 'Transcript writes held for Redis (sent in order once it answers).', [], () => [[{}, redis().chatBacklog]]);
      counter(r, 'redis_chat_refused_total', 'Transcript writes refused because the held-writes buffer was full (the turn ended with an error).', [], () => [[{}, redis().chatRefused]]);
      counter(r, 'redis_chat_received_total', 'Chat events and transcript entries received from other instances.', [], () => [[{}, redis().chatReceived]]);
      counter(r, 'redis_feed_resets_total', 'Breaks in the shared ops feed (new log, rollback below what was forwarded, trim before the read): subscriptions past them were ended.', [], () => [[{}, redis().feedResets]]);
    }
    // Process-wide figures (CPU, memory, handles; event loop and GC of the
    // main thread). The event-loop delay monitor samples on a timer: at
    // prom-client's 10 ms it woke an idle gateway ~60-80 times a second (most
    // of its idle CPU, bench/idle); 100 ms still sees every stall a chat
    // would notice, in 10 wake-ups a second.
    collectDefaultMetrics({ register: r, prefix: PREFIX, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  /** A delivery entered the ops log (called once per accepted delivery). */
  opsAccepted(lane: string): void {
    this.#opsByLane.set(lane, (this.#opsByLane.get(lane) ?? 0) + 1);
  }

  workerExit(port: PortRole): void {
    this.#exits.set(port, (this.#exits.get(port) ?? 0) + 1);
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const perLane = (v: readonly [number, number] | undefined): Labelled[] => LANES.map((lane, i) => [{ lane }, v?.[i] ?? 0]);

/** A counter whose values are read at scrape time: reset, then set from `read`. */
function counter(r: Registry, name: string, help: string, labelNames: string[], read: () => Labelled[]): void {
  new Counter({
    name: PREFIX + name,
    help,
    labelNames,
    registers: [r],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.inc(labels, v);
    },
  });
}

function gauge(r: Registry, name: string, help: string, labelNames: string[], read: () => Labelled[]): void {
  new Gauge({
    name: PREFIX + name,
    help,
    labelNames,
    registers: [r],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.set(labels, v);
    },
  });
}
