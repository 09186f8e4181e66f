import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type TypedEmitterModule from 'typed-emitter';
import { randomUUID } from 'node:crypto';
import { loadAgents } from './agents/load.js';
import type { AgentRouter } from './agents/router.js';
import { resolveConfig, type Config, type GatewayOptions } from './config.js';
import { ErrorCodes, LanegateError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { GatewayMetrics } from './metrics/registry.js';
import { OPS_LANES, type OpsLane, type PortRole } from './protocol/methods.js';
import type { ChatUpdate } from './runtime/runs.js';
import { Lane, type LaneId } from './queue/records.js';
import { Outbox, type ConnKey } from './runtime/outbox.js';
import { Runtime } from './runtime/runtime.js';
import { buildWiring, inboundRings, ringViews, socketWorkerInit, type WorkerStartContext } from './gateway/wiring.js';
import { TaskPool } from './tasks/pool.js';
import type { MainToWorker, SocketWorkerInit, WorkerToMain } from './socket/messages.js';
import { EdgeCounters } from './queue/refusals.js';
import { schemes } from './socket/tls.js';
import { openRedis, redisFigures, type RedisState } from './state/redis/open.js';
import { openState, type GatewayState } from './state/open-state.js';

// typed-emitter is a CommonJS types package: from ESM its default export is the module.
type TypedEmitter<T extends TypedEmitterModule.EventMap> = TypedEmitterModule.default<T>;

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** How long a socket worker may take to start listening. */
const WORKER_START_MS = 10_000;
/** How long stop() waits for workers to close their clients before terminating them. */
const WORKER_STOP_MS = 3_000;

export interface GatewayInfo {
  convUrl: string;
  opsUrl: string | null;
  webchatUrl: string;
  convPort: number;
  opsPort: number | null;
  rings: { conv: number; ops: number; out: number };
  /** Scale-out: the Redis URL (password hidden) and whether it answered at start; null when off. */
  redis: { url: string; up: boolean } | null;
  /** The state directory (null: `:memory:`), what an ack means, and the ops log's epoch. */
  state: { dir: string | null; fsync: string; epoch: string };
}

export type GatewayEvents = {
  /** A client finished its handshake on a lane (`client` is its connect.params.client). */
  connection: (e: { key: ConnKey; lane: 'conv' | 'ops'; client: unknown }) => void;
  /** A client's socket on that lane closed. */
  disconnect: (e: { key: ConnKey; lane: 'conv' | 'ops'; client: unknown }) => void;
  /** A run's chat changed: each delta (cumulative `text`, the new `delta`), then final, aborted or error. */
  chat: (e: ChatUpdate) => void;
  /** A delivery was accepted into the ops log. */
  ops: (e: { seq: number; lane: string; sessionKey: string; kind: string }) => void;
  /** The runtime stopped (engaged) or resumed taking ops work because outbound ops traffic backed up. */
  backpressure: (e: { engaged: boolean; backlogBytes: number }) => void;
  /** A socket worker exited while the gateway was running. */
  'worker-exit': (e: { role: PortRole; code: number }) => void;
  /** Something failed inside the runtime (a request handler, a run's events); the gateway keeps serving. Emitted only when listened to. */
  error: (e: Error) => void;
};

/** What Gateway.deliver() takes: an ops.deliver from this process. */
export interface Delivery {
  sessionKey: string;
  kind: string;
  payload: unknown;
  /** Default `system`. */
  lane?: OpsLane;
  /** A repeated key gets the first answer and is not appended twice; default: a random one. */
  idempotencyKey?: string;
}

interface WorkerSlot {
  role: PortRole;
  worker: Worker;
  port: number;
}

const laneName = (l: LaneId): 'conv' | 'ops' => (l === Lane.CONV ? 'conv' : 'ops');

/**
 * The gateway: starts the socket workers, the main-thread runtime and the
 * task pool, wires their rings, and shuts them down in order.
 */
export class Gateway extends (EventEmitter as new () => TypedEmitter<GatewayEvents>) {
  readonly #config: Config;
  readonly #log: Logger;
  #workers: WorkerSlot[] = [];
  #runtime: Runtime | null = null;
  #tasks: TaskPool | null = null;
  #metrics: GatewayMetrics | null = null;
  #agents: AgentRouter | null = null;
  #state: GatewayState | null = null;
  #stopping = false;
  #redis: RedisState | null = null;
  /** Every worker is up (start finished, none exited). */
  #ready = false;

  /**
   * Validates the options (the same checks and messages as the
   * environment's, naming the option: throws ConfigError) or takes a Config
   * from loadConfig(). Nothing starts until start().
   */
  constructor(options: GatewayOptions | Config = {}, log?: Logger) {
    super();
    this.#config = resolveConfig(options);
    this.#log = log ?? createLogger(this.#config.logLevel, 'main');
  }

  get config(): Config {
    return this.#config;
  }

  /** The agents behind this gateway, the default first (after start()). */
  get agents(): { id: string; name: string; model: string }[] {
    return (this.#agents?.list() ?? []).map((a) => ({ id: a.id, name: a.name, model: `${a.model.provider}/${a.model.id}` }));
  }

  /**
   * Hands an ops delivery to the runtime from this process: it takes the
   * ops lane like one from a socket (behind chats), is numbered by the ops
   * log and reaches ops subscribers. Resolves with its seq.
   */
  deliver(d: Delivery): Promise<{ accepted: true; seq: number; duplicate: boolean }> {
    const bad = (what: string): Promise<never> => Promise.reject(new LanegateError(ErrorCodes.INVALID_ARGUMENT, `deliver: ${what}`));
    if (typeof d !== 'object' || d === null) return bad('expects {sessionKey, kind, payload, lane?, idempotencyKey?}');
    const lane = d.lane ?? 'system';
    if (!(OPS_LANES as readonly string[]).includes(lane)) return bad(`lane must be one of ${OPS_LANES.join(', ')}`);
    if (typeof d.sessionKey !== 'string' || d.sessionKey === '' || d.sessionKey.length > 512) return bad('sessionKey must be a string of 1 to 512 characters');
    if (typeof d.kind !== 'string' || d.kind === '' || d.kind.length > 128) return bad('kind must be a string of 1 to 128 characters');
    if (d.idempotencyKey !== undefined && (typeof d.idempotencyKey !== 'string' || d.idempotencyKey === '' || d.idempotencyKey.length > 256)) {
      return bad('idempotencyKey must be a string of 1 to 256 characters');
    }
    if (d.payload === undefined) return bad('payload is required (any JSON value)');
    const key = d.idempotencyKey ?? randomUUID();
    if (!this.#runtime) return Promise.reject(new LanegateError(ErrorCodes.NOT_STARTED, 'gateway is not started'));
    return this.#runtime
      .deliver({ lane, sessionKey: d.sessionKey, kind: d.kind, idempotencyKey: key, payload: d.payload })
      .then((r) => ({ accepted: true as const, seq: r.seq, duplicate: r.duplicate }));
  }

  get runtime(): Runtime {
    if (!this.#runtime) throw new LanegateError(ErrorCodes.NOT_STARTED, 'gateway is not started');
    return this.#runtime;
  }

  /** Prometheus text of every lanegate_* series (what GET /metrics on the conv port serves). */
  metrics(): Promise<string> {
    if (!this.#metrics) throw new LanegateError(ErrorCodes.NOT_STARTED, 'gateway is not started');
    return this.#metrics.text();
  }

  async start(): Promise<GatewayInfo> {
    const c = this.#config;
    // First: a state directory that cannot be used (held by another gateway) fails before any port is bound.
    const state = await openState(c, this.#log);
    this.#state = state;
    const startedAt = Date.now();
    const wiring = buildWiring(c);
    const single = wiring.single;
    const scheme = schemes(c.tls !== null);
    const metrics = new GatewayMetrics({
      version: VERSION,
      mode: single ? 'single-port' : 'dual-port',
      runtime: () => this.#runtime?.figures() ?? null,
      edges: wiring.edges,
      rings: ringViews(wiring),
      ...(c.redis ? { redis: () => redisFigures(this.#redis) } : {}),
    });
    this.#metrics = metrics;
    const edge = (port: PortRole): SharedArrayBuffer | null => wiring.edges.find((e) => e.port === port)?.sab ?? null;
    const convEdge = edge('conv')!;
    const opsEdge = edge('ops');

    const agents = await loadAgents(c.agents, c.openai).catch(async (e: unknown) => {
      await state.close();
      throw e;
    });
    this.#agents = agents;
    // Before any port is bound: refused Redis credentials fail the start (exit 2).
    const redis = c.redis
      ? await openRedis(c.redis, c.historyLimit, this.#log).catch(async (e: unknown) => {
          await state.close();
          throw e;
        })
      : null;
    this.#redis = redis;
    this.#tasks = new TaskPool(c.taskThreads);
    this.#runtime = new Runtime({
      config: c,
      doorbell: wiring.inDoorbell,
      inbound: inboundRings(wiring),
      outbox: new Outbox(wiring.workers.map((w) => w.out)),
      agents,
      ...(redis ? { share: redis.sessions } : {}),
      tasks: this.#tasks,
      log: this.#log,
      startedAt,
      version: VERSION,
      edge: () => ({
        conv: new EdgeCounters(convEdge).snapshot(),
        ...(opsEdge ? { ops: new EdgeCounters(opsEdge).snapshot() } : {}),
      }),
      queueWait: metrics.queueWait,
      opsLog: state.opsLog,
      hooks: {
        connection: (key, lane, open, client) => this.emit(open ? 'connection' : 'disconnect', { key, lane: laneName(lane), client }),
        chat: () => (this.listenerCount('chat') > 0 ? (u) => this.emit('chat', u) : null),
        error: (e, what) => {
          if (this.listenerCount('error') === 0) return;
          this.emit('error', e instanceof Error ? Object.assign(e, { context: what }) : new Error(`${what}: ${String(e)}`));
        },
        ops: (seq, lane, sessionKey, kind) => {
          metrics.opsAccepted(lane);
          this.emit('ops', { seq, lane, sessionKey, kind });
        },
        backpressure: (engaged, backlogBytes) => this.emit('backpressure', { engaged, backlogBytes }),
      },
    });
    this.#runtime.start();
    if (redis) {
      await redis.sessions.attach(this.#runtime.sharedSessions);
      // /readyz answers 503 "degraded" while Redis is away (chats go on; new clients go to another instance).
      redis.link.on('state', () => this.#postReadiness());
    }

    const ctx: WorkerStartContext = { config: c, wiring, startedAt, serverVersion: `lanegate-${VERSION}`, defaultAgentId: agents.default.id, opsEpoch: state.opsLog.epoch, opsUrl: null, webchatPort: c.convPort === 0 ? null : c.convPort };
    try {
      let opsUrl: string | null = null;
      if (!single) {
        const ops = await this.#startWorker(socketWorkerInit(ctx, wiring.workers[1]!, c.opsPort!));
        opsUrl = `${scheme.ws}://${urlHost(c.host)}:${ops.port}`;
        ctx.opsUrl = opsUrl;
      }
      const conv = await this.#startWorker(socketWorkerInit(ctx, wiring.workers[0]!, c.convPort));
      for (const w of this.#workers) w.worker.postMessage({ type: 'webchat-port', port: conv.port } satisfies MainToWorker);
      this.#ready = true;
      this.#postReadiness();
      const convUrl = `${scheme.ws}://${urlHost(c.host)}:${conv.port}`;
      return {
        convUrl,
        opsUrl,
        webchatUrl: `${scheme.http}://${urlHost(c.host)}:${conv.port}/`,
        convPort: conv.port,
        opsPort: opsUrl === null ? null : this.#workers.find((w) => w.role === 'ops')!.port,
        rings: { conv: c.convRingBytes, ops: c.opsRingBytes, out: c.outRingBytes },
        redis: redis ? { url: redis.shownUrl, up: redis.link.state === 'up' } : null,
        state: { dir: c.stateDir, fsync: c.fsync, epoch: state.opsLog.epoch },
      };
    } catch (e) {
      await this.stop('start failed');
      throw e;
    }
  }

  #startWorker(init: SocketWorkerInit): Promise<WorkerSlot> {
    const worker = new Worker(new URL('../workers/socket-worker.js', import.meta.url), { workerData: init });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new LanegateError(ErrorCodes.WORKER_START, `${init.role} worker did not start within ${WORKER_START_MS} ms`)), WORKER_START_MS);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        void worker.terminate();
        reject(e);
      };
      const onMessage = (m: WorkerToMain): void => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          const slot = { role: init.role, worker, port: m.port };
          this.#workers.push(slot);
          worker.on('exit', (code) => this.#onExit(slot, code));
          resolve(slot);
        } else if (m.type === 'fatal') {
          fail(new LanegateError(ErrorCodes.WORKER_START, `${init.role} port ${init.host}:${init.port}: ${m.message}`));
        } else if (m.type === 'metrics-request') {
          this.#answerMetrics(worker, m.id);
        }
      };
      worker.on('message', onMessage);
      worker.once('error', (e) => fail(new LanegateError(ErrorCodes.WORKER_START, `${init.role} worker failed: ${e.message}`, { cause: e })));
    });
  }

  /** The conv worker serves GET /metrics; the figures live here, so it asks over its control port. */
  #answerMetrics(worker: Worker, id: number): void {
    const answer = (text: string | null): void => worker.postMessage({ type: 'metrics', id, text } satisfies MainToWorker);
    if (!this.#metrics) return answer(null);
    this.#metrics.text().then(answer, (e: unknown) => {
      this.#log.error({ err: e }, 'metrics collection failed');
      answer(null);
    });
  }

  #onExit(slot: WorkerSlot, code: number): void {
    this.#workers = this.#workers.filter((w) => w !== slot);
    if (this.#stopping) return;
    this.#metrics?.workerExit(slot.role);
    this.#log.error({ role: slot.role, code }, 'socket worker exited');
    this.#ready = false;
    this.#postReadiness();
    this.emit('worker-exit', { role: slot.role, code });
  }

  #postReadiness(): void {
    const degraded = this.#redis && this.#redis.link.state !== 'up' ? 'redis unavailable: ops deliveries answer UNAVAILABLE; chats are served' : null;
    for (const w of this.#workers) w.worker.postMessage({ type: 'readiness', ready: this.#ready, degraded } satisfies MainToWorker);
  }

  /**
   * Stops in order: runs are aborted (their final events go out), workers
   * send `shutdown`, close clients with 1012 and stop; then the task pool.
   */
  async stop(reason = 'gateway stopping'): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#runtime?.stop();
    await Promise.all(
      this.#workers.map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void worker.terminate().then(() => resolve()), WORKER_STOP_MS);
            worker.on('message', (m: WorkerToMain) => {
              if (m.type !== 'stopped') return;
              clearTimeout(timer);
              void worker.terminate().then(() => resolve());
            });
            worker.postMessage({ type: 'stop', reason } satisfies MainToWorker);
          }),
      ),
    );
    this.#workers = [];
    await this.#tasks?.close();
    // Held sessions are given up after their transcript writes; then the connections close.
    await this.#redis?.close();
    // Last: everything acknowledged is durable before the lock is released.
    await this.#state?.close();
  }
}

function urlHost(host: string): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return h.includes(':') ? `[${h}]` : h;
}
