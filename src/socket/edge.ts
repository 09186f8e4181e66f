import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Config, JwtConfig, Limits, PortLimits } from '../config.js';
import type { Logger } from '../log.js';
import type { AuthSettings } from '../protocol/auth.js';
import { JwtVerifier } from '../protocol/jwt.js';
import { Close, err, ErrorCode, resErr } from '../protocol/frames.js';
import type { PortRole } from '../protocol/methods.js';
import type { LaneId } from '../queue/records.js';
import type { Conn } from './conn.js';
import { ConnAdmission, ConnRate } from './limits.js';
import { OriginPolicy } from './origin.js';
import { WireDetail } from '../protocol/wire-codes.js';
import { EdgeCounters, type RefusalReason } from '../queue/refusals.js';
import type { TlsMaterial } from './tls.js';

/** Everything a socket worker needs to guard its port (part of SocketWorkerInit). */
export interface SecurityInit {
  jwt: JwtConfig | null;
  tls: TlsMaterial | null;
  allowedOrigins: string[];
  limits: Limits;
  /** This port's refusal counters (EdgeCounters.storage()); the main thread reads them for `status`. */
  counters: SharedArrayBuffer;
  /** The conv port when known at start (the webchat's origin); the ops worker is told later. */
  webchatPort: number | null;
}

export function securityInit(c: Config, counters: SharedArrayBuffer, webchatPort: number | null): SecurityInit {
  return { jwt: c.jwt, tls: c.tls, allowedOrigins: c.allowedOrigins, limits: c.limits, counters, webchatPort };
}

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' };

/** Answers an upgrade request with an HTTP error and closes the socket (no WebSocket is made). */
export function refuseUpgrade(socket: Socket, status: number, message: string, retryAfterS?: number): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'connection: close',
    'content-type: text/plain; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    ...(retryAfterS !== undefined ? [`retry-after: ${retryAfterS}`] : []),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * One port's guard: who may open a socket (origin, connection caps), what
 * a credential grants (token, password, JWT), and the per-connection rate
 * and outbound limits. The socket server calls it at a few hooks; the
 * policies themselves live in origin.ts, limits.ts and protocol/.
 */
export class Edge {
  readonly counters: EdgeCounters;
  readonly auth: AuthSettings;
  readonly port: PortLimits;
  readonly limits: Limits;
  readonly #origins: OriginPolicy;
  readonly #admission: ConnAdmission;
  readonly #log: Logger;

  constructor(s: SecurityInit, role: PortRole, secrets: { token: string | null; password: string | null }, host: string, log: Logger) {
    this.counters = new EdgeCounters(s.counters);
    this.auth = { ...secrets, jwt: s.jwt ? new JwtVerifier(s.jwt) : null };
    this.limits = s.limits;
    this.port = role === 'conv' ? s.limits.conv : s.limits.ops;
    this.#origins = new OriginPolicy({ allowed: s.allowedOrigins, host, tls: s.tls !== null }, s.webchatPort);
    this.#admission = new ConnAdmission(this.port.maxConns, s.limits.perIp);
    this.#log = log;
  }

  set webchatPort(port: number) {
    this.#origins.webchatPort = port;
  }

  count(reason: RefusalReason, detail?: Record<string, unknown>): void {
    this.counters.count(reason);
    this.#log.debug({ reason, ...detail }, 'refused');
  }

  /**
   * Checks an upgrade request before any WebSocket exists. Returns the
   * release hook of its connection slot (call it once the socket closes),
   * or null after answering the refusal itself.
   */
  admitUpgrade(req: IncomingMessage, socket: Socket): (() => void) | null {
    const remote = socket.remoteAddress ?? '';
    if (!this.#origins.allows(req.headers.origin, socket.localAddress)) {
      this.count('origin', { remote, origin: String(req.headers.origin).slice(0, 200) });
      refuseUpgrade(socket, 403, 'origin not allowed');
      return null;
    }
    const a = this.#admission.admit(remote, performance.now());
    if (!a.ok) {
      this.count(a.reason, { remote });
      refuseUpgrade(socket, a.status, a.reason === 'conn-cap' ? 'connection limit reached' : 'too many connections from this address', a.retryAfterS);
      return null;
    }
    this.counters.setConnections(this.#admission.open);
    return () => {
      a.release();
      this.counters.setConnections(this.#admission.open);
    };
  }

  connRate(): ConnRate {
    return new ConnRate(this.limits, performance.now());
  }

  /**
   * Charges one frame to the connection's rate on `lane`. False when it is
   * refused: the client was told (UNAVAILABLE, retryable, retryAfterMs) or,
   * deep in debt, closed with 1008.
   */
  meter(conn: Conn, lane: LaneId, id: string): boolean {
    const r = conn.rate!.take(lane, performance.now());
    if (r.ok) return true;
    if (r.cut) {
      this.count('rate-closed', { conn: conn.id });
      conn.close(Close.POLICY_VIOLATION, 'rate limit exceeded');
      return false;
    }
    this.count('rate-limited', { conn: conn.id });
    const error = err(ErrorCode.UNAVAILABLE, 'rate limit exceeded: slow down', { retryable: true, retryAfterMs: r.retryAfterMs, details: { code: WireDetail.RATE_LIMITED } });
    conn.send(resErr(id, error));
    return false;
  }
}
