import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import { Close, eventFrame } from '../protocol/frames.js';
import { checkConnect, helloOk, type ConnectOutcome } from '../protocol/handshake.js';
import { decodeMsgpackFrame } from '../protocol/msgpack.js';
import { Lane } from '../queue/records.js';
import { reasonOfWsError } from '../queue/refusals.js';
import { Conn, type OutPolicy } from './conn.js';
import type { Edge } from './edge.js';
import type { Inbound } from './inbound.js';
import { setFrameLimit } from './limits.js';
import type { SocketWorkerInit } from './messages.js';

/** Frames a client may send while its JWT is being verified (more closes it: clients wait for hello-ok). */
const MAX_HELD_FRAMES = 16;
/** setTimeout's largest delay; a JWT expiring later is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface UpgradeOptions {
  init: SocketWorkerInit;
  log: Logger;
  edge: Edge;
  inbound: Inbound;
  /** Open connections of this port, by id (shared with the server and the outbound side). */
  conns: Map<number, Conn>;
  out: OutPolicy;
  /** Ids for new connections, unique for the port's lifetime (across worker restarts). */
  nextConnId: () => number;
  methodNames: string[];
  events: string[];
  /** Every frame of an open connection goes here first (the server routes it). */
  onFrame: (conn: Conn, data: Buffer, isBinary: boolean) => void;
  /** True once the port is shutting down: upgrades are refused with 503. */
  stopping: () => boolean;
}

/**
 * A connection from its HTTP upgrade to hello-ok: the edge's upgrade checks,
 * the challenge, the handshake deadline, the `connect` check (frames that
 * arrive while a JWT is verified are held, in order, for afterwards), and a
 * JWT's expiry.
 */
export class Upgrade {
  readonly #o: UpgradeOptions;
  /** Connections whose JWT is being verified, with the frames they sent meanwhile. */
  readonly #held = new Map<Conn, { data: Buffer; isBinary: boolean }[]>();

  constructor(o: UpgradeOptions) {
    this.#o = o;
  }

  /** Takes the HTTP server's upgrade requests onto `wss`. */
  attach(http: Server, wss: WebSocketServer): void {
    http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (this.#o.stopping()) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
        return;
      }
      const release = this.#o.edge.admitUpgrade(req, socket);
      if (!release) return;
      // The slot is freed when the TCP socket closes, also when ws refuses the upgrade itself.
      socket.once('close', release);
      wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, req));
    });
  }

  /** A frame from a connection that has not finished `connect`. */
  onFrame(conn: Conn, data: Buffer, isBinary: boolean): void {
    const held = this.#held.get(conn);
    if (held) {
      // A JWT is being verified: keep the frames in order for afterwards.
      if (held.length >= MAX_HELD_FRAMES) {
        this.#o.edge.count('handshake-flood', { conn: conn.id });
        conn.close(Close.POLICY_VIOLATION, 'too many frames before hello-ok');
        return;
      }
      held.push({ data, isBinary });
      return;
    }
    this.#handshake(conn, data, isBinary);
  }

  #onConnection(ws: WebSocket, req: IncomingMessage): void {
    const o = this.#o;
    // No frame has been read yet (ws reads on a later 'data' event), so the cap holds from the first byte.
    setFrameLimit(ws, o.edge.limits.preauthMaxPayload);
    const conn = new Conn(o.nextConnId(), ws, req.socket.remoteAddress ?? '', o.edge.connRate(), o.out, o.init.deflate);
    o.conns.set(conn.id, conn);
    ws.on('message', (data: Buffer, isBinary: boolean) => o.onFrame(conn, data, isBinary));
    ws.on('close', () => {
      o.conns.delete(conn.id);
      this.#held.delete(conn);
      conn.clearTimers();
      o.inbound.closed(conn);
    });
    ws.on('error', (e: Error & { code?: string }) => {
      // ws closes the socket itself (1009 too big, 1007 bad UTF-8, 1002 bad framing).
      const reason = reasonOfWsError(e.code);
      o.edge.count(reason === 'too-large' && !conn.authenticated ? 'preauth-too-large' : reason, { conn: conn.id, code: e.code, msg: e.message });
    });
    conn.setTimer('handshake', o.init.handshakeTimeoutMs, () => {
      o.edge.count('handshake-timeout');
      conn.close(Close.POLICY_VIOLATION, 'handshake timeout');
    });
    conn.send(eventFrame('connect.challenge', { nonce: randomUUID(), ts: Date.now() }));
  }

  #handshake(conn: Conn, data: Buffer, isBinary: boolean): void {
    const edge = this.#o.edge;
    // Normally ws already refused it (setFrameLimit); this covers a ws without that internal.
    if (data.byteLength > edge.limits.preauthMaxPayload) {
      edge.count('preauth-too-large');
      conn.close(Close.TOO_BIG, 'pre-connect frame exceeds the pre-auth limit');
      return;
    }
    // In the connection's own codec only: anything else is not a connect request.
    let frame: unknown = null;
    if (conn.codec === 'msgpack') {
      const d = isBinary ? decodeMsgpackFrame(data) : null;
      if (d?.ok) frame = d.frame;
    } else if (!isBinary) {
      try {
        frame = JSON.parse(data.toString('utf8'));
      } catch {
        frame = null;
      }
    }
    const c = checkConnect(frame, edge.auth);
    if (!(c instanceof Promise)) return this.#finish(conn, c);
    // JWT verification is asynchronous: hold what else arrives, then go on in order.
    this.#held.set(conn, []);
    c.then((outcome) => {
      const held = this.#held.get(conn) ?? [];
      this.#held.delete(conn);
      if (conn.ws.readyState !== conn.ws.OPEN) return;
      this.#finish(conn, outcome);
      for (const f of held) if (conn.ws.readyState === conn.ws.OPEN) this.#o.onFrame(conn, f.data, f.isBinary);
    }).catch((e: unknown) => {
      // Off the 'message' handler's try/catch: a failure here must not become an unhandled rejection.
      this.#o.log.error({ err: e, conn: conn.id }, 'handshake failed');
      conn.close(Close.INTERNAL, 'internal error');
    });
  }

  #finish(conn: Conn, c: ConnectOutcome): void {
    const o = this.#o;
    if (!c.ok) {
      o.edge.count(c.close === Close.PROTOCOL_ERROR ? 'protocol-mismatch' : c.reason.startsWith('unauthorized') ? 'auth' : 'bad-handshake', {
        conn: conn.id,
        remote: conn.remote,
        why: c.reason,
      });
      if (c.frame) conn.send(c.frame);
      conn.close(c.close, c.reason);
      return;
    }
    conn.clearTimer('handshake');
    setFrameLimit(conn.ws, o.init.maxPayload);
    if (c.expiresAt !== undefined) this.#armExpiry(conn, c.expiresAt);
    conn.authenticate({ client: c.client, role: c.role, scopes: new Set(c.scopes) });
    const maxPayload = Math.min(o.init.maxPayload, Math.max(...[Lane.CONV, Lane.OPS].map((l) => o.inbound.maxBody(l))));
    conn.send(
      helloOk(
        c.id,
        {
          serverVersion: o.init.serverVersion,
          connId: `${o.init.role}-${conn.id}-${randomUUID().slice(0, 8)}`,
          methods: o.methodNames,
          events: o.events,
          maxPayload,
          maxBufferedBytes: o.edge.port.maxBufferedBytes,
          tickIntervalMs: o.init.tickIntervalMs,
          uptimeMs: Date.now() - o.init.startedAt,
          defaultAgentId: o.init.defaultAgentId,
          opsEpoch: o.init.opsEpoch,
        },
        c.role,
        c.scopes,
      ),
    );
    o.log.debug({ conn: conn.id, client: c.client.id, mode: c.client.mode }, 'client connected');
  }

  /** A JWT-authenticated connection ends when its token does. */
  #armExpiry(conn: Conn, expiresAt: number): void {
    const ms = expiresAt - Date.now();
    conn.setTimer('expiry', Math.max(0, Math.min(ms, MAX_TIMER_MS)), () => {
      if (Date.now() < expiresAt) return this.#armExpiry(conn, expiresAt);
      this.#o.edge.count('token-expired', { conn: conn.id });
      conn.close(Close.POLICY_VIOLATION, 'token expired');
    });
  }
}
