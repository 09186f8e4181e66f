import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { Close, err, ErrorCode, eventFrame, eventOpen, resErr } from '../protocol/frames.js';
import { checkConnect, helloOk, type ConnectOutcome } from '../protocol/handshake.js';
import { eventsFor, methodsFor, type MethodSpec } from '../protocol/methods.js';
import { admit } from '../protocol/admit.js';
import { Lane } from '../queue/records.js';
import { Signal } from '../queue/signal.js';
import { Conn, Pause, type OutPolicy } from './conn.js';
import { Edge } from './edge.js';
import { handleHttp, type HttpContext } from './http.js';
import { Inbound } from './inbound.js';
import { portLane, setFrameLimit } from './limits.js';
import type { SocketWorkerInit } from './messages.js';
import { MAX_YIELD_MS, Outbound } from './outbound.js';
import { ConvGate } from '../queue/conv-gate.js';
import { logRefusalSummaries, reasonOfWsError, type RefusalReason } from '../queue/refusals.js';
import { createPortServer } from './tls.js';

/** Frames a client may send while its JWT is being verified (more closes it: clients wait for hello-ok). */
const MAX_HELD_FRAMES = 16;
/** How often refusal totals are logged when they changed. */
const REFUSAL_LOG_MS = 10_000;
/** setTimeout's largest delay; a JWT expiring later is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Pause after a gate yield that ran out its time, before the ops worker yields again: a count that never drains must not starve ops. */
const YIELD_BACKOFF_MS = 50;

/**
 * One gateway port: HTTP plus the WebSocket server, the handshake, frame
 * admission, and the worker's side of its rings. Runs inside a socket
 * worker thread; nothing here touches the agent.
 */
export class SocketServer {
  readonly #init: SocketWorkerInit;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #conns = new Map<number, Conn>();
  readonly #inbound: Inbound;
  readonly #outbound: Outbound;
  readonly #methods: Record<string, MethodSpec>;
  readonly #methodNames: string[];
  readonly #events: string[];
  readonly #httpCtx: HttpContext;
  #nextId = 1;
  #ready = false;
  #tick: NodeJS.Timeout | null = null;
  #stopping = false;
  readonly #edge: Edge;
  readonly #out: OutPolicy;
  readonly #summaries: { stop(): void };
  /** Admission control between the two workers (dual-port mode only). */
  readonly #gate: ConvGate | null;
  #yielding = false;
  /** Frames that arrived (already buffered by ws) while yielding: handled, in order, right after. */
  #deferred: { conn: Conn; data: Buffer; isBinary: boolean }[] = [];
  /** After a yield that timed out, none until then: a count that never drains must not starve ops. */
  #noYieldUntil = 0;

  constructor(init: SocketWorkerInit, log: Logger, http: Omit<HttpContext, 'ready'>) {
    this.#init = init;
    this.#log = log;
    this.#methods = methodsFor(init.role, init.singlePort);
    this.#methodNames = Object.keys(this.#methods);
    this.#events = eventsFor(init.role, init.singlePort);
    const inDoorbell = Signal.over(init.inDoorbell);
    this.#inbound = new Inbound(
      { conv: init.convRing, ops: init.opsRing },
      inDoorbell,
      (lane) => log.debug({ lane: lane === Lane.CONV ? 'conv' : 'ops' }, 'inbound ring full: pausing senders'),
      (lane, paused) => log.debug({ lane: lane === Lane.CONV ? 'conv' : 'ops', paused }, 'inbound ring has room: resuming senders'),
    );
    this.#gate = init.gate ? new ConvGate(init.gate) : null;
    const gate = this.#gate;
    this.#outbound = new Outbound(init.outRings, Signal.over(init.outDoorbell), this.#conns, {
      perTurn: init.outPerTurn,
      ...(gate && init.role === 'conv' ? { onReply: () => gate.answered() } : {}),
      ...(gate && init.role === 'ops' ? { yieldTo: gate } : {}),
    });
    this.#edge = new Edge(init.security, init.role, { token: init.token, password: init.password }, init.host, log);
    this.#out = {
      maxBuffered: this.#edge.port.maxBufferedBytes,
      onSkip: () => this.#count('events-skipped'),
      onSlow: (conn) => {
        this.#count('slow-consumer');
        log.warn({ conn: conn.id, bufferedBytes: conn.ws.bufferedAmount }, 'slow consumer: closing');
      },
    };
    this.#summaries = logRefusalSummaries(this.#edge.counters, log, REFUSAL_LOG_MS);
    this.#httpCtx = { ...http, ready: () => this.#ready };
    this.#http = createPortServer(init.security.tls, init.handshakeTimeoutMs, (req, res) => handleHttp(req, res, this.#httpCtx));
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: init.maxPayload, perMessageDeflate: false, clientTracking: false });
    this.#http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (this.#stopping) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
        return;
      }
      const release = this.#edge.admitUpgrade(req, socket);
      if (!release) return;
      // The slot is freed when the TCP socket closes, also when ws refuses the upgrade itself.
      socket.once('close', release);
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, req));
    });
    this.#http.on('clientError', (_e, socket: Socket) => {
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

  setReady(ready: boolean): void {
    this.#ready = ready;
  }

  get connectionCount(): number {
    return this.#conns.size;
  }

  stalls(): number[] {
    return this.#inbound.stalls();
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

  #onConnection(ws: WebSocket, req: IncomingMessage): void {
    // No frame has been read yet (ws reads on a later 'data' event), so the cap holds from the first byte.
    setFrameLimit(ws, this.#edge.limits.preauthMaxPayload);
    const conn = new Conn(this.#nextId++, ws, req.socket.remoteAddress ?? '', this.#out);
    conn.rate = this.#edge.connRate();
    this.#conns.set(conn.id, conn);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onFrame(conn, data, isBinary));
    ws.on('close', () => {
      this.#conns.delete(conn.id);
      if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
      if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
      this.#inbound.closed(conn);
    });
    ws.on('error', (e: Error & { code?: string }) => {
      // ws closes the socket itself (1009 too big, 1007 bad UTF-8, 1002 bad framing).
      const reason = reasonOfWsError(e.code);
      this.#count(reason === 'too-large' && !conn.authenticated ? 'preauth-too-large' : reason, { conn: conn.id, code: e.code, msg: e.message });
    });
    ws.on('pong', () => {
      conn.alive = true;
    });
    conn.handshakeTimer = setTimeout(() => {
      this.#count('handshake-timeout');
      conn.close(Close.POLICY_VIOLATION, 'handshake timeout');
    }, this.#init.handshakeTimeoutMs);
    conn.send(eventFrame('connect.challenge', { nonce: randomUUID(), ts: Date.now() }));
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
    if (conn.held) {
      // A JWT is being verified: keep the frames in order for afterwards.
      if (conn.held.length >= MAX_HELD_FRAMES) {
        this.#count('handshake-flood', { conn: conn.id });
        conn.close(Close.POLICY_VIOLATION, 'too many frames before hello-ok');
        return;
      }
      conn.held.push({ data, isBinary });
      return;
    }
    if (!conn.authenticated) return this.#onHandshake(conn, data, isBinary);
    if (this.#init.role === 'ops' && this.#gate) {
      if (!this.#yielding && this.#gate.busy() && performance.now() >= this.#noYieldUntil) void this.#yieldReads();
      if (this.#yielding) {
        // Parsing is the ops worker's main cost: keep the bytes, parse after the chat is answered.
        this.#deferred.push({ conn, data, isBinary });
        return;
      }
    }
    const a = isBinary
      ? null
      : admit(data, {
          methods: this.#methods,
          scopes: conn.scopes,
          opsUrl: this.#init.role === 'conv' ? this.#init.opsUrl : null,
        });
    // Every frame pays into the rate of its lane: refused frames too, or garbage would be free.
    const paidLane = a?.ok ? (a.spec.lane === 'conv' ? Lane.CONV : Lane.OPS) : portLane(this.#init.role);
    if (!this.#edge.meter(conn, paidLane, a?.ok ? a.id : 'invalid')) return;
    if (a === null) {
      this.#count('binary-frame');
      conn.send(resErr('invalid', err(ErrorCode.INVALID_REQUEST, 'invalid frame: binary frames are not supported; send JSON text frames')));
      return;
    }
    if (!a.ok) {
      this.#count(a.forbidden ? 'forbidden' : 'invalid-request');
      conn.send(a.reply);
      return;
    }
    const lane = a.spec.lane === 'conv' ? Lane.CONV : Lane.OPS;
    const size = typeof a.body === 'string' ? Buffer.byteLength(a.body) : a.body.byteLength;
    const max = this.#inbound.maxBody(lane);
    if (size > max) {
      this.#count('too-large-for-ring');
      conn.send(
        resErr(
          a.id,
          err(ErrorCode.INVALID_REQUEST, `payload too large: ${size} bytes exceeds the ${a.spec.lane} ring's largest record (${max} bytes)`, {
            details: { code: 'PAYLOAD_TOO_LARGE', maxBytes: max },
          }),
        ),
      );
      return;
    }
    // Long polls (agent.wait) are not "in flight" for the gate: they may wait minutes by design.
    if (lane === Lane.CONV && !a.spec.longPoll) this.#gate?.started();
    this.#inbound.request(conn, lane, a.body, a.split);
  }

  /**
   * Ops worker: stop reading every socket while a conversation request is in
   * flight (at most MAX_YIELD_MS), so the chat's thread hops find a free
   * core. The frame at hand is still handled; TCP holds back the rest.
   */
  async #yieldReads(): Promise<void> {
    this.#yielding = true;
    const paused = [...this.#conns.values()];
    for (const c of paused) c.pause(Pause.CONV_GATE);
    if (!(await this.#gate!.idle(MAX_YIELD_MS))) this.#noYieldUntil = performance.now() + YIELD_BACKOFF_MS;
    this.#yielding = false;
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const d of deferred) this.#onFrame(d.conn, d.data, d.isBinary);
    for (const c of paused) c.resume(Pause.CONV_GATE);
  }

  #onHandshake(conn: Conn, data: Buffer, isBinary: boolean): void {
    // Normally ws already refused it (setFrameLimit); this covers a ws without that internal.
    if (data.byteLength > this.#edge.limits.preauthMaxPayload) {
      this.#count('preauth-too-large');
      conn.close(Close.TOO_BIG, 'pre-connect frame exceeds the pre-auth limit');
      return;
    }
    let frame: unknown = null;
    if (!isBinary) {
      try {
        frame = JSON.parse(data.toString('utf8'));
      } catch {
        frame = null;
      }
    }
    const c = checkConnect(frame, this.#edge.auth);
    if (!(c instanceof Promise)) return this.#finishHandshake(conn, c);
    // JWT verification is asynchronous: hold what else arrives, then go on in order.
    conn.held = [];
    c.then((outcome) => {
      const held = conn.held ?? [];
      conn.held = null;
      if (conn.ws.readyState !== conn.ws.OPEN) return;
      this.#finishHandshake(conn, outcome);
      for (const f of held) if (conn.ws.readyState === conn.ws.OPEN) this.#onMessage(conn, f.data, f.isBinary);
    }).catch((e: unknown) => {
      // Off the 'message' handler's try/catch: a failure here must not become an unhandled rejection.
      this.#log.error({ err: e, conn: conn.id }, 'handshake failed');
      conn.close(Close.INTERNAL, 'internal error');
    });
  }

  #finishHandshake(conn: Conn, c: ConnectOutcome): void {
    if (!c.ok) {
      this.#count(c.close === Close.PROTOCOL_ERROR ? 'protocol-mismatch' : c.reason.startsWith('unauthorized') ? 'auth' : 'bad-handshake', {
        conn: conn.id,
        remote: conn.remote,
        why: c.reason,
      });
      if (c.frame) conn.send(c.frame);
      conn.close(c.close, c.reason);
      return;
    }
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
    setFrameLimit(conn.ws, this.#init.maxPayload);
    if (c.expiresAt !== undefined) this.#armExpiry(conn, c.expiresAt);
    conn.client = c.client;
    conn.role = c.role;
    conn.scopes = new Set(c.scopes);
    const maxPayload = Math.min(this.#init.maxPayload, Math.max(...[Lane.CONV, Lane.OPS].map((l) => this.#inbound.maxBody(l))));
    conn.send(
      helloOk(
        c.id,
        {
          serverVersion: this.#init.serverVersion,
          connId: `${this.#init.role}-${conn.id}-${randomUUID().slice(0, 8)}`,
          methods: this.#methodNames,
          events: this.#events,
          maxPayload,
          maxBufferedBytes: this.#edge.port.maxBufferedBytes,
          tickIntervalMs: this.#init.tickIntervalMs,
          uptimeMs: Date.now() - this.#init.startedAt,
        },
        c.role,
        c.scopes,
      ),
    );
    this.#log.debug({ conn: conn.id, client: c.client.id, mode: c.client.mode }, 'client connected');
  }

  /** A JWT-authenticated connection ends when its token does. */
  #armExpiry(conn: Conn, expiresAt: number): void {
    const ms = expiresAt - Date.now();
    conn.expiryTimer = setTimeout(
      () => {
        if (Date.now() < expiresAt) return this.#armExpiry(conn, expiresAt);
        this.#count('token-expired', { conn: conn.id });
        conn.close(Close.POLICY_VIOLATION, 'token expired');
      },
      Math.max(0, Math.min(ms, MAX_TIMER_MS)),
    );
  }

  #onTick(): void {
    const tick = Buffer.from(eventOpen('tick', { ts: Date.now() }));
    for (const conn of this.#conns.values()) {
      if (!conn.authenticated) continue;
      if (!conn.alive) {
        this.#count('ping-timeout');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
      conn.sendEvent(tick);
    }
  }
}
