import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import type { DeflateConfig } from '../config.js';
import type { Logger } from '../log.js';
import { Close, err, ErrorCode, eventOpen, resErr } from '../protocol/frames.js';
import { eventsFor, methodsFor } from '../protocol/methods.js';
import { MSGPACK_SUBPROTOCOL } from '../protocol/msgpack.js';
import { ConvGate } from '../queue/conv-gate.js';
import { Lane } from '../queue/records.js';
import { logRefusalSummaries, type RefusalReason } from '../queue/refusals.js';
import { Signal } from '../queue/signal.js';
import { Admission } from './admission.js';
import type { Conn, OutPolicy } from './conn.js';
import { Edge } from './edge.js';
import { handleHttp, type HttpContext } from './http.js';
import { Inbound } from './inbound.js';
import type { SocketWorkerInit } from './messages.js';
import { OpsYield } from './ops-yield.js';
import { Outbound } from './outbound.js';
import { createPortServer } from './tls.js';
import { Upgrade } from './upgrade.js';

/**
 * ws's permessage-deflate settings for a port, or false (the conv port, or
 * the ops port with LANEGATE_OPS_DEFLATE=off). ws inflates what a client
 * compressed up to the port's maxPayload and no further, so a small frame
 * that inflates past the limit is refused (close 1009) as it inflates.
 * The threshold is applied per frame in Conn (ws applies its own only
 * without context takeover).
 */
function deflateOptions(d: DeflateConfig | null): PerMessageDeflateOptions | false {
  if (!d) return false;
  return {
    threshold: d.threshold,
    concurrencyLimit: d.concurrency,
    zlibDeflateOptions: { level: d.level, memLevel: d.memLevel },
  };
}

/**
 * The subprotocol answered to a client's Sec-WebSocket-Protocol offer:
 * lanegate.msgpack.v1 where the port speaks it, otherwise the first other
 * offer (ws's own default, which clients that name a protocol expect
 * echoed), never lanegate.msgpack.v1 on a port that does not speak it.
 */
export function pickSubprotocol(offered: Set<string>, msgpack: boolean): string | false {
  if (msgpack && offered.has(MSGPACK_SUBPROTOCOL)) return MSGPACK_SUBPROTOCOL;
  for (const p of offered) if (p !== MSGPACK_SUBPROTOCOL) return p;
  return false;
}

/** How often refusal totals are logged when they changed. */
const REFUSAL_LOG_MS = 10_000;

/**
 * One gateway port inside its socket worker thread: the HTTP server and the
 * WebSocket server, and the routing of every frame. The jobs live in their
 * own modules: upgrade and handshake (upgrade.ts), frame admission
 * (admission.ts), the ops worker's yield to chat traffic (ops-yield.ts),
 * the worker's side of its rings (inbound.ts, outbound.ts). Nothing here
 * touches the agent.
 */
export class SocketServer {
  readonly #init: SocketWorkerInit;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #conns = new Map<number, Conn>();
  readonly #inbound: Inbound;
  readonly #outbound: Outbound;
  readonly #upgrade: Upgrade;
  readonly #admission: Admission;
  /** Ops worker, dual-port mode: yields reads and sends while a chat is in flight. */
  readonly #yield: OpsYield | null;
  readonly #httpCtx: HttpContext;
  #nextId = 1;
  #ready = false;
  /** Why the gateway serves only part of its job (Redis away), or null. */
  #degraded: string | null = null;
  #tick: NodeJS.Timeout | null = null;
  #stopping = false;
  readonly #edge: Edge;
  readonly #summaries: { stop(): void };

  constructor(init: SocketWorkerInit, log: Logger, http: Omit<HttpContext, 'ready' | 'degraded'>) {
    this.#init = init;
    this.#log = log;
    const methods = methodsFor(init.role, init.singlePort);
    const laneName = (lane: number): string => (lane === Lane.CONV ? 'conv' : 'ops');
    this.#inbound = new Inbound(
      { conv: init.convRing, ops: init.opsRing },
      Signal.over(init.inDoorbell),
      (lane) => log.debug({ lane: laneName(lane) }, 'inbound ring full: pausing senders'),
      (lane, paused) => log.debug({ lane: laneName(lane), paused }, 'inbound ring has room: resuming senders'),
    );
    this.#edge = new Edge(init.security, init.role, { token: init.token, password: init.password }, init.host, log);
    const gate = init.gate ? new ConvGate(init.gate) : null;
    const onFrame = (conn: Conn, data: Buffer, isBinary: boolean): void => this.#onFrame(conn, data, isBinary);
    this.#yield = gate && init.role === 'ops' ? new OpsYield(gate, () => this.#conns.values(), onFrame) : null;
    this.#outbound = new Outbound(init.outRings, Signal.over(init.outDoorbell), this.#conns, {
      perTurn: init.outPerTurn,
      ...(gate && init.role === 'conv' ? { onReply: () => gate.answered() } : {}),
      ...(this.#yield ? { yieldTo: this.#yield } : {}),
    });
    this.#admission = new Admission({
      role: init.role,
      methods,
      opsUrl: init.opsUrl,
      edge: this.#edge,
      inbound: this.#inbound,
      gate: init.role === 'conv' ? gate : null,
    });
    const out: OutPolicy = {
      maxBuffered: this.#edge.port.maxBufferedBytes,
      onSkip: () => this.#count('events-skipped'),
      onSlow: (conn) => {
        this.#count('slow-consumer');
        log.warn({ conn: conn.id, bufferedBytes: conn.ws.bufferedAmount }, 'slow consumer: closing');
      },
    };
    this.#upgrade = new Upgrade({
      init,
      log,
      edge: this.#edge,
      inbound: this.#inbound,
      conns: this.#conns,
      out,
      nextConnId: () => this.#nextId++,
      methodNames: Object.keys(methods),
      events: eventsFor(init.role, init.singlePort),
      onFrame,
      stopping: () => this.#stopping,
    });
    this.#summaries = logRefusalSummaries(this.#edge.counters, log, REFUSAL_LOG_MS);
    this.#httpCtx = { ...http, ready: () => this.#ready, degraded: () => this.#degraded };
    this.#http = createPortServer(init.security.tls, init.handshakeTimeoutMs, (req, res) => handleHttp(req, res, this.#httpCtx));
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: init.maxPayload,
      perMessageDeflate: deflateOptions(init.deflate),
      handleProtocols: (offered) => pickSubprotocol(offered, init.msgpack),
      clientTracking: false,
    });
    this.#upgrade.attach(this.#http, this.#wss);
    this.#http.on('clientError', (_e, socket) => {
      this.#count('http-bad-request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    });
    this.#http.on('tlsClientError', (e: Error & { code?: string }) => this.#count('tls', { code: e.code }));
  }

  /** The conv port (the webchat's origin), once the conv worker listens. */
  set webchatPort(port: number) {
    this.#edge.webchatPort = port;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#init.port, this.#init.host, () => {
        this.#http.off('error', reject);
        this.#outbound.start();
        this.#tick = setInterval(() => this.#onTick(), this.#init.tickIntervalMs);
        this.#tick.unref();
        resolve((this.#http.address() as AddressInfo).port);
      });
    });
  }

  setReady(ready: boolean, degraded: string | null = null): void {
    this.#ready = ready;
    this.#degraded = degraded;
  }

  /** Stop accepting, tell every client, close with 1012, send what is queued. */
  async stop(reason: string, restartExpectedMs?: number): Promise<void> {
    this.#stopping = true;
    this.#summaries.stop();
    if (this.#tick) clearInterval(this.#tick);
    this.#http.close();
    this.#outbound.flush();
    const shutdown = Buffer.from(eventOpen('shutdown', restartExpectedMs === undefined ? { reason } : { reason, restartExpectedMs }));
    const closed: Promise<void>[] = [];
    for (const conn of this.#conns.values()) {
      if (conn.authenticated) conn.sendEvent(shutdown);
      closed.push(new Promise((r) => conn.ws.once('close', () => r())));
      conn.close(Close.SERVICE_RESTART, 'gateway stopping');
    }
    this.#outbound.stop();
    // Sockets that do not finish the closing handshake are cut after a bound.
    const cut = setTimeout(() => {
      for (const conn of this.#conns.values()) conn.ws.terminate();
    }, 1500);
    await Promise.all(closed);
    clearTimeout(cut);
    this.#http.closeAllConnections();
  }

  #count(reason: RefusalReason, detail?: Record<string, unknown>): void {
    this.#edge.count(reason, detail);
  }

  #onFrame(conn: Conn, data: Buffer, isBinary: boolean): void {
    try {
      this.#onMessage(conn, data, isBinary);
    } catch (e) {
      // A client's frame must never take the worker down.
      this.#log.error({ err: e, conn: conn.id }, 'frame handling failed');
      conn.send(resErr('invalid', err(ErrorCode.UNAVAILABLE, 'internal error handling frame', { retryable: true })));
    }
  }

  #onMessage(conn: Conn, data: Buffer, isBinary: boolean): void {
    // Closing (refused, cut, slow): what the client still sends is not read.
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (!conn.authenticated) return this.#upgrade.onFrame(conn, data, isBinary);
    if (this.#yield?.deferRead(conn, data, isBinary)) return;
    this.#admission.handle(conn, data, isBinary);
  }

  #onTick(): void {
    const tick = Buffer.from(eventOpen('tick', { ts: Date.now() }));
    for (const conn of this.#conns.values()) {
      if (!conn.authenticated) continue;
      if (!conn.ping()) {
        this.#count('ping-timeout');
        conn.ws.terminate();
        continue;
      }
      conn.sendEvent(tick);
    }
  }
}
