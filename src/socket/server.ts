import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { Close, err, ErrorCode, eventFrame, eventOpen, resErr } from '../protocol/frames.js';
import { checkConnect, helloOk, MAX_PREAUTH_PAYLOAD_BYTES } from '../protocol/handshake.js';
import { eventsFor, methodsFor, type MethodSpec } from '../protocol/methods.js';
import { admit } from '../protocol/request.js';
import { Lane } from '../queue/records.js';
import { Signal } from '../queue/signal.js';
import { Conn } from './conn.js';
import { handleHttp, type HttpContext } from './http.js';
import { Inbound } from './inbound.js';
import type { SocketWorkerInit } from './messages.js';
import { Outbound } from './outbound.js';

/** Most bytes a connection may have queued for sending (advertised in hello-ok). */
export const MAX_BUFFERED_BYTES = 50 * 1024 * 1024;

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
  readonly rejected = new Map<string, number>();

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
    this.#outbound = new Outbound(init.outRings, Signal.over(init.outDoorbell), this.#conns);
    this.#httpCtx = { ...http, ready: () => this.#ready };
    this.#http = createServer((req, res) => handleHttp(req, res, this.#httpCtx));
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: init.maxPayload, perMessageDeflate: false, clientTracking: false });
    this.#http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (this.#stopping) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, req));
    });
    this.#http.on('clientError', (_e, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    });
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

  #count(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  #onConnection(ws: WebSocket, req: IncomingMessage): void {
    const conn = new Conn(this.#nextId++, ws, req.socket.remoteAddress ?? '');
    this.#conns.set(conn.id, conn);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        this.#onMessage(conn, data, isBinary);
      } catch (e) {
        // A client's frame must never take the worker down.
        this.#log.error({ err: e, conn: conn.id }, 'frame handling failed');
        conn.send(resErr('invalid', err(ErrorCode.UNAVAILABLE, 'internal error handling frame', { retryable: true })));
      }
    });
    ws.on('close', () => {
      this.#conns.delete(conn.id);
      if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
      this.#inbound.closed(conn);
    });
    ws.on('error', (e: Error & { code?: string }) => {
      // ws closes the socket itself (1009 too big, 1007 bad UTF-8, 1002 bad framing).
      this.#count(e.code ?? 'socket-error');
      this.#log.debug({ conn: conn.id, code: e.code, msg: e.message }, 'websocket error');
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

  #onMessage(conn: Conn, data: Buffer, isBinary: boolean): void {
    if (!conn.authenticated) return this.#onHandshake(conn, data, isBinary);
    if (isBinary) {
      this.#count('binary-frame');
      conn.send(resErr('invalid', err(ErrorCode.INVALID_REQUEST, 'invalid frame: binary frames are not supported; send JSON text frames')));
      return;
    }
    const a = admit(data, {
      methods: this.#methods,
      scopes: conn.scopes,
      opsUrl: this.#init.role === 'conv' ? this.#init.opsUrl : null,
    });
    if (!a.ok) {
      this.#count('invalid-request');
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
    this.#inbound.request(conn, lane, a.body, a.split);
  }

  #onHandshake(conn: Conn, data: Buffer, isBinary: boolean): void {
    if (data.byteLength > MAX_PREAUTH_PAYLOAD_BYTES) {
      this.#count('preauth-too-large');
      conn.close(Close.TOO_BIG, 'pre-connect frame exceeds 64 KiB');
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
    const c = checkConnect(frame, { token: this.#init.token, password: this.#init.password });
    if (!c.ok) {
      this.#count(c.close === Close.PROTOCOL_ERROR ? 'protocol-mismatch' : c.reason.startsWith('unauthorized') ? 'auth' : 'bad-handshake');
      if (c.frame) conn.send(c.frame);
      conn.close(c.close, c.reason);
      return;
    }
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
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
          maxBufferedBytes: MAX_BUFFERED_BYTES,
          tickIntervalMs: this.#init.tickIntervalMs,
          uptimeMs: Date.now() - this.#init.startedAt,
        },
        c.role,
        c.scopes,
      ),
    );
    this.#log.debug({ conn: conn.id, client: c.client.id, mode: c.client.mode }, 'client connected');
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
