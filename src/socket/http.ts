import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HttpContext {
  /** All workers and the runtime are up. */
  ready(): boolean;
  /** The webchat page, or null on ports that serve none. */
  page(): string | null;
  /** Prometheus text, or null when unavailable. */
  metrics(): Promise<string | null>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Plain HTTP on a gateway port: health, readiness, metrics, the webchat page. */
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
      json(res, ready ? 200 : 503, { ok: ready, status: ready ? 'ready' : 'starting' });
      return;
    }
    case '/metrics':
      ctx.metrics().then(
        (text) => {
          if (text === null) return json(res, 404, { ok: false, error: 'metrics are served on the conv port' });
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
        },
        () => json(res, 500, { ok: false, error: 'metrics unavailable' }),
      );
      return;
    case '/': {
      const page = ctx.page();
      if (page !== null) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) }).end(page);
        return;
      }
      break;
    }
  }
  json(res, 404, { ok: false, error: 'not found' });
}
