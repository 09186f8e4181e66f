import { isIP } from 'node:net';
import { isLoopback } from '../config.js';

export interface OriginSettings {
  /** Normalized origins from LANEGATE_ALLOWED_ORIGINS; `*` allows any. */
  allowed: string[];
  /** LANEGATE_HOST: a name the operator chose is trusted as the webchat's host. */
  host: string;
  /** https when the ports serve TLS. */
  tls: boolean;
}

const unwrap = (a: string): string => a.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').replace(/%.*$/, '');

/**
 * Which browser origins may open a WebSocket on a port. Browsers send
 * `Origin` on every WebSocket handshake and let any page try one, so
 * without this check a page on any site could drive a local gateway with
 * the user's network position. Clients without `Origin` (CLIs, servers) are
 * not browsers and pass: their credential is what protects the port.
 *
 * Allowed: every origin in LANEGATE_ALLOWED_ORIGINS, and the webchat's own
 * origin, i.e. this gateway's conv port (`http(s)://H:convPort`) where H is
 * the address the connection arrived on (IP literal), `localhost` when that
 * address is loopback, or LANEGATE_HOST itself. The Host header is not
 * trusted for this: matching Origin against Host would let a DNS-rebinding
 * page (evil.example resolving to 127.0.0.1) pass as same-origin.
 */
export class OriginPolicy {
  readonly #allowed: Set<string>;
  readonly #any: boolean;
  readonly #host: string;
  readonly #scheme: 'http:' | 'https:';
  /** The conv port (webchat); null until known (the ops worker learns it after the conv worker starts). */
  #webchatPort: number | null;

  constructor(s: OriginSettings, webchatPort: number | null) {
    this.#any = s.allowed.includes('*');
    this.#allowed = new Set(s.allowed.filter((o) => o !== '*'));
    this.#host = s.host.toLowerCase();
    this.#scheme = s.tls ? 'https:' : 'http:';
    this.#webchatPort = webchatPort;
  }

  set webchatPort(port: number) {
    this.#webchatPort = port;
  }

  /** `origin`: the request's Origin header; `localAddress`: where the connection arrived. */
  allows(origin: string | undefined, localAddress: string | undefined): boolean {
    if (origin === undefined || this.#any) return true;
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false; // "null" (sandboxed pages, file://) and garbage
    }
    if (this.#allowed.has(u.origin)) return true;
    if (u.protocol !== this.#scheme || this.#webchatPort === null) return false;
    const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
    if (port !== this.#webchatPort) return false;
    const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const local = unwrap(localAddress ?? '').toLowerCase();
    if (host === this.#host) return true;
    if (isIP(host) !== 0) return unwrap(host) === local;
    return host === 'localhost' && isLoopback(local);
  }
}
