// The typed protocol between the main thread and a socket worker. Bulk
// traffic goes through the SharedArrayBuffer rings; these messages are
// control only: the READY handshake, stop, readiness for /readyz, and the
// /metrics question and answer (the conv worker serves HTTP, the figures live
// on the main thread; a scrape is rare, so a message round trip is cheap).

import type { DeflateConfig, LogLevel } from '../config.js';
import type { PortRole } from '../protocol/methods.js';
import type { SecurityInit } from './edge.js';

export interface SocketWorkerInit {
  role: PortRole;
  host: string;
  port: number;
  singlePort: boolean;
  /** ws:// URL of the ops port when it is on (for error hints). */
  opsUrl: string | null;
  token: string | null;
  password: string | null;
  maxPayload: number;
  /** permessage-deflate offered on this port (the ops port only); null: never. */
  deflate: DeflateConfig | null;
  /** The port speaks lanegate.msgpack.v1 to clients that ask for it (the ops port only). */
  msgpack: boolean;
  tickIntervalMs: number;
  handshakeTimeoutMs: number;
  logLevel: LogLevel;
  nice: number;
  serverVersion: string;
  startedAt: number;
  /** The default agent's id: hello-ok's sessionDefaults and the webchat's session key name it. */
  defaultAgentId: string;
  /** The ops log's epoch, sent in hello-ok as snapshot.opsEpoch. */
  opsEpoch: string;
  /** The runtime's doorbell (this worker rings it after writing). */
  inDoorbell: SharedArrayBuffer;
  /** Inbound rings this worker produces into, by lane. */
  convRing: SharedArrayBuffer | null;
  opsRing: SharedArrayBuffer | null;
  /** This worker's doorbell (the runtime rings it after writing out). */
  outDoorbell: SharedArrayBuffer;
  /** Outbound rings this worker consumes, conversation first. */
  outRings: SharedArrayBuffer[];
  /** Records taken per event-loop turn from each out ring. */
  outPerTurn: number[];
  /** Dual-port mode: the conversation gate (conv worker counts, ops worker yields). */
  gate: SharedArrayBuffer | null;
  /** Auth, origin, TLS and limits of this port (src/socket/edge.ts). */
  security: SecurityInit;
}

export type WorkerToMain =
  | { type: 'ready'; role: PortRole; port: number }
  | { type: 'fatal'; role: PortRole; code: string; message: string }
  | { type: 'stopped'; role: PortRole }
  /** GET /metrics arrived (conv worker): the main thread answers with `metrics` and the same id. */
  | { type: 'metrics-request'; id: number };

export type MainToWorker =
  | { type: 'stop'; reason: string; restartExpectedMs?: number }
  | { type: 'readiness'; ready: boolean; degraded?: string | null }
  /** The conv port once it listens: the webchat's origin, allowed on the ops port too. */
  | { type: 'webchat-port'; port: number }
  /** Prometheus text for a `metrics-request`; null when collection failed. */
  | { type: 'metrics'; id: number; text: string | null };
