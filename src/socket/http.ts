import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Webchat } from './webchat.js';

export interface HttpContext {
  /** All workers and the runtime are up. */
  ready(): boolean;
  /** Why the gateway serves only part of its job (chats on, ops deliveries refused: Redis away), or null. */
  degraded(): string | null;
  /** The webchat page and its config, or null on ports that serve none. */
  webchat: Webchat | null;
  /** Prometheus text, or null on ports that serve none; rejects when the runtime cannot answer (503). */
  metrics(): Promise<string | null>;
}

/** Prometheus text exposition format 0.0.4 (what prom-client's default registry produces). */
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Plain HTTP on a gateway port: health, readiness, metrics, the webchat page and its config. */
export function handleHttp(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  switch (path) {
    case '/healthz':
      json(res, 200, { ok: true, status: 'live' });
      return;
    case '/readyz': {
      const ready = ctx.ready();
      const degraded = ctx.degraded();
      // Degraded answers 503 too: a load balancer sends new clients to an instance that can do all of it.
      if (ready && degraded) json(res, 503, { ok: false, status: 'degraded', degraded });
      else json(res, ready ? 200 : 503, { ok: ready, status: ready ? 'ready' : 'starting' });
      return;
    }
    case '/metrics':
      ctx.metrics().then(
        (text) => {
          if (text === null) return json(res, 404, { ok: false, error: 'metrics are served on the conv port' });
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' }).end(text);
        },
        (e: Error) => json(res, 503, { ok: false, error: e.message }, { 'retry-after': '1' }),
      );
      return;
    case '/': {
      if (!ctx.webchat) break;
      const page = ctx.webchat.page(req.headers.host);
      res.writeHead(200, { ...page.headers, 'content-length': Buffer.byteLength(page.body) }).end(page.body);
      return;
    }
    case '/webchat/config':
      if (!ctx.webchat) break;
      json(res, 200, ctx.webchat.config());
      return;
  }
  json(res, 404, { ok: false, error: 'not found' });
}
