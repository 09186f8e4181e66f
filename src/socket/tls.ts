import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

export interface TlsMaterial {
  cert: string;
  key: string;
}

/**
 * The HTTP server under a gateway port: plain, or TLS when a certificate
 * and key are configured (both ports then serve wss:// and https://).
 * https.Server is an http.Server, so everything above it is the same.
 *
 * `headersTimeout` follows the handshake timeout: a client that opens TCP
 * and never finishes its upgrade request holds a connection no longer than
 * one that upgrades and never sends `connect`.
 */
export function createPortServer(
  tls: TlsMaterial | null,
  handshakeTimeoutMs: number,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const opts = {
    headersTimeout: handshakeTimeoutMs,
    // Node requires requestTimeout >= headersTimeout; keep its default of 300 s otherwise.
    requestTimeout: Math.max(300_000, handshakeTimeoutMs),
  };
  if (tls === null) return createHttpServer(opts, handler);
  return createHttpsServer({ ...opts, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler);
}

export const schemes = (tls: boolean): { ws: string; http: string } => (tls ? { ws: 'wss', http: 'https' } : { ws: 'ws', http: 'http' });
