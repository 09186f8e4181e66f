// Entry of a socket worker thread: one per gateway port. It owns that port's
// HTTP + WebSocket server, is the only producer of its inbound ring(s), and
// the only consumer of its outbound ring(s). Control messages only (READY,
// stop, readiness, the /metrics round trip) go through postMessage.

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../src/log.js';
import type { MainToWorker, SocketWorkerInit, WorkerToMain } from '../src/socket/messages.js';
import { MetricsRelay } from '../src/socket/metrics-relay.js';
import { SocketServer } from '../src/socket/server.js';
import { Webchat } from '../src/socket/webchat.js';

const init = workerData as SocketWorkerInit;
const log = createLogger(init.logLevel, `${init.role}-worker`);
const post = (m: WorkerToMain): void => parentPort!.postMessage(m);

/**
 * Lowers this thread's OS scheduling priority (Linux): on a 2-core machine a
 * saturating ops flood otherwise competes with the conversation path for CPU.
 * The thread id comes from /proc/thread-self, which names this thread.
 */
function lowerPriority(nice: number): void {
  if (nice <= 0 || process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, nice);
    log.info({ tid, nice }, 'worker thread priority lowered');
  } catch (e) {
    log.warn({ err: e }, 'could not lower worker thread priority');
  }
}

// HTTP beyond health lives on the conv port only: the webchat, and /metrics relayed from the main thread.
const conv = init.role === 'conv';
const metrics = conv ? new MetricsRelay(post) : null;
const opsPort = init.opsUrl === null ? null : Number(new URL(init.opsUrl).port);
const server = new SocketServer(init, log, {
  webchat: conv ? Webchat.load(opsPort, init.security.tls !== null, init.defaultAgentId) : null,
  metrics: async () => (metrics ? metrics.request() : null),
});

parentPort!.on('message', (m: MainToWorker) => {
  if (m.type === 'readiness') server.setReady(m.ready, m.degraded ?? null);
  else if (m.type === 'webchat-port') server.webchatPort = m.port;
  else if (m.type === 'metrics') metrics?.answer(m);
  else if (m.type === 'stop') {
    void server.stop(m.reason, m.restartExpectedMs).then(() => {
      post({ type: 'stopped', role: init.role });
      log.flush();
    });
  }
});

lowerPriority(init.nice);
server.listen().then(
  (port) => post({ type: 'ready', role: init.role, port }),
  (e: Error & { code?: string }) => post({ type: 'fatal', role: init.role, code: e.code ?? 'LISTEN_FAILED', message: e.message }),
);
