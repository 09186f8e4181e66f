// The gateway's shared-memory wiring, built in one place: which rings,
// doorbells and channels exist in each mode, and which thread owns which
// side. Pure: it allocates SharedArrayBuffers and wraps them, starts
// nothing, reads no environment. Gateway.start() hands the result to the
// runtime and the socket workers; supervision asks it for one worker's fresh
// rings when that worker is restarted (freshWorkerRings).

import type { Config } from '../config.js';
import type { PortRole } from '../protocol/methods.js';
import { ConvGate } from '../queue/conv-gate.js';
import { OutChannel } from '../queue/out-channel.js';
import { Lane } from '../queue/records.js';
import { EdgeCounters } from '../queue/refusals.js';
import { Ring } from '../queue/ring.js';
import { Signal } from '../queue/signal.js';
import type { WorkerOut } from '../runtime/outbox.js';
import { securityInit } from '../socket/edge.js';
import type { SocketWorkerInit } from '../socket/messages.js';
import { HIGH_PRIORITY_PER_TURN, LOW_PRIORITY_PER_TURN } from '../socket/outbound.js';
import type { InboundRing } from '../runtime/runtime.js';

export type WiringConfig = Pick<Config, 'opsPort' | 'convRingBytes' | 'opsRingBytes' | 'outRingBytes'>;

/** One socket worker's rings: what it is given at start, and the runtime's side of the same buffers. */
export interface WorkerRings {
  role: PortRole;
  /** Its index in connection keys and in the outbox. */
  index: number;
  /** Inbound rings it produces into, by lane (single-port: the conv worker has both). */
  convRing: SharedArrayBuffer | null;
  opsRing: SharedArrayBuffer | null;
  /** Its own doorbell: the runtime rings it after writing out. */
  outDoorbell: SharedArrayBuffer;
  /** Out rings it drains, conversation first, and how many records per turn from each. */
  outRings: SharedArrayBuffer[];
  outPerTurn: number[];
  /** The runtime's channels into outRings, by lane (one channel may serve both lanes). */
  out: WorkerOut;
  /** The runtime's view of the inbound rings. */
  inbound: InboundRing[];
  /** Every ring of this worker by name, for /metrics. */
  views: { name: string; ring: Ring }[];
}

/** Everything shared between the threads of one gateway. */
export interface Wiring {
  single: boolean;
  /** The runtime's doorbell: every inbound producer rings it. */
  inDoorbell: SharedArrayBuffer;
  /** Dual-port mode: the conv worker counts chats in flight, the ops worker yields to them. */
  gate: SharedArrayBuffer | null;
  /** Refusal counters and connection gauge per port: they outlive a worker restart (counters stay cumulative). */
  edges: { port: PortRole; sab: SharedArrayBuffer }[];
  /** The conv worker first, then the ops worker in dual-port mode. */
  workers: WorkerRings[];
}

/** Builds every ring, doorbell and channel of one gateway for its mode. */
export function buildWiring(c: WiringConfig): Wiring {
  const single = c.opsPort === null;
  const roles: PortRole[] = single ? ['conv'] : ['conv', 'ops'];
  return {
    single,
    inDoorbell: Signal.storage(),
    gate: single ? null : ConvGate.storage(),
    edges: roles.map((port) => ({ port, sab: EdgeCounters.storage() })),
    workers: roles.map((role, index) => freshWorkerRings(c, role, index)),
  };
}

/**
 * One worker's rings, all new. At start, and again for a worker that died:
 * its old rings may hold half a record, a full out ring nobody drains, or
 * parked waiters, so nothing of them is reused.
 */
export function freshWorkerRings(c: WiringConfig, role: PortRole, index: number): WorkerRings {
  const single = c.opsPort === null;
  const outDoorbell = Signal.storage();
  const bell = Signal.over(outDoorbell);
  if (role === 'ops') {
    const opsRing = Ring.storageFor(c.opsRingBytes);
    const opsOut = Ring.storageFor(c.outRingBytes);
    const ch = new OutChannel(new Ring(opsOut), bell, false);
    return {
      role,
      index,
      convRing: null,
      opsRing,
      outDoorbell,
      outRings: [opsOut],
      outPerTurn: [LOW_PRIORITY_PER_TURN],
      out: [ch, ch],
      inbound: [{ sab: opsRing, worker: index, lane: Lane.OPS, name: 'ops' }],
      views: [
        { name: 'ops', ring: new Ring(opsRing) },
        { name: 'ops-out', ring: new Ring(opsOut) },
      ],
    };
  }
  const convRing = Ring.storageFor(c.convRingBytes);
  const convOut = Ring.storageFor(c.outRingBytes);
  const conv = new OutChannel(new Ring(convOut), bell, true);
  if (!single) {
    return {
      role,
      index,
      convRing,
      opsRing: null,
      outDoorbell,
      outRings: [convOut],
      outPerTurn: [HIGH_PRIORITY_PER_TURN],
      out: [conv, conv],
      inbound: [{ sab: convRing, worker: index, lane: Lane.CONV, name: 'conv' }],
      views: [
        { name: 'conv', ring: new Ring(convRing) },
        { name: 'conv-out', ring: new Ring(convOut) },
      ],
    };
  }
  // Single-port mode: the conv worker also carries ops traffic, still through
  // its own ops ring inbound, and ops events to its clients through their own
  // out ring, drained after chat frames.
  const opsRing = Ring.storageFor(c.opsRingBytes);
  const convOpsOut = Ring.storageFor(c.outRingBytes);
  return {
    role,
    index,
    convRing,
    opsRing,
    outDoorbell,
    outRings: [convOut, convOpsOut],
    outPerTurn: [HIGH_PRIORITY_PER_TURN, LOW_PRIORITY_PER_TURN],
    out: [conv, new OutChannel(new Ring(convOpsOut), bell, false)],
    inbound: [
      { sab: convRing, worker: index, lane: Lane.CONV, name: 'conv' },
      { sab: opsRing, worker: index, lane: Lane.OPS, name: 'ops' },
    ],
    views: [
      { name: 'conv', ring: new Ring(convRing) },
      { name: 'ops', ring: new Ring(opsRing) },
      { name: 'conv-out', ring: new Ring(convOut) },
      { name: 'conv-ops-out', ring: new Ring(convOpsOut) },
    ],
  };
}

/** The runtime's inbound rings across every worker, conversation first. */
export function inboundRings(w: Wiring): InboundRing[] {
  return w.workers.flatMap((r) => r.inbound).sort((a, b) => a.lane - b.lane);
}

/** Every ring by name, inbound first then outbound (the order /metrics lists them). */
export function ringViews(w: Wiring): { name: string; ring: Ring }[] {
  const all = w.workers.flatMap((r) => r.views);
  const inbound = all.filter((v) => !v.name.endsWith('-out'));
  return [...inbound, ...all.filter((v) => v.name.endsWith('-out'))];
}

/** What a socket worker is started with, besides its rings. */
export interface WorkerStartContext {
  config: Config;
  wiring: Wiring;
  startedAt: number;
  serverVersion: string;
  /** The default agent's id (hello-ok sessionDefaults, the webchat's session key). */
  defaultAgentId: string;
  /** The ops log's epoch (hello-ok snapshot.opsEpoch). */
  opsEpoch: string;
  /** ws:// URL of the ops port (dual-port mode, once it listens): the conv worker names it in error hints. */
  opsUrl: string | null;
  /** The conv port once known (the webchat's origin, allowed on the ops port too). */
  webchatPort: number | null;
}

/**
 * A socket worker's start message: its port, limits and rings. `port` is the
 * configured one at start and the port it got on a restart, so clients
 * reconnect to the same address.
 */
export function socketWorkerInit(ctx: WorkerStartContext, rings: WorkerRings, port: number): SocketWorkerInit {
  const c = ctx.config;
  const w = ctx.wiring;
  const ops = rings.role === 'ops';
  return {
    role: rings.role,
    host: c.host,
    port,
    singlePort: w.single,
    opsUrl: ops ? null : ctx.opsUrl,
    token: c.token,
    password: c.password,
    // Single-port mode: the conv port carries ops deliveries too.
    maxPayload: ops ? c.opsMaxPayload : w.single ? Math.max(c.convMaxPayload, c.opsMaxPayload) : c.convMaxPayload,
    // The conv port stays uncompressed JSON, as OpenClaw's: latency first.
    deflate: ops && c.opsDeflate.mode === 'on' ? c.opsDeflate : null,
    msgpack: ops,
    tickIntervalMs: c.tickIntervalMs,
    handshakeTimeoutMs: c.handshakeTimeoutMs,
    logLevel: c.logLevel,
    nice: ops ? c.opsNice : 0,
    serverVersion: ctx.serverVersion,
    defaultAgentId: ctx.defaultAgentId,
    startedAt: ctx.startedAt,
    opsEpoch: ctx.opsEpoch,
    inDoorbell: w.inDoorbell,
    convRing: rings.convRing,
    opsRing: rings.opsRing,
    outDoorbell: rings.outDoorbell,
    outRings: rings.outRings,
    outPerTurn: rings.outPerTurn,
    gate: w.gate,
    security: securityInit(c, w.edges.find((e) => e.port === rings.role)!.sab, ctx.webchatPort),
  };
}
