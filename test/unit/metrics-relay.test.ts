import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { handleHttp } from '../../src/socket/http.js';
import type { WorkerToMain } from '../../src/socket/messages.js';
import { MetricsRelay, MetricsUnavailable } from '../../src/socket/metrics-relay.js';

// The conv worker relays GET /metrics to the main thread over its control
// port; these check the relay's bookkeeping and the HTTP answers it leads to.

test('an answer resolves the request with the same id; a late answer is dropped', async () => {
  const sent: WorkerToMain[] = [];
  const relay = new MetricsRelay((m) => sent.push(m), 60_000);
  const a = relay.request();
  const b = relay.request();
  assert.deepEqual(sent, [
    { type: 'metrics-request', id: 1 },
    { type: 'metrics-request', id: 2 },
  ]);
  relay.answer({ type: 'metrics', id: 2, text: 'two' });
  relay.answer({ type: 'metrics', id: 1, text: null });
  assert.equal(await b, 'two');
  await assert.rejects(a, MetricsUnavailable);
  relay.answer({ type: 'metrics', id: 1, text: 'again' }); // no longer pending: ignored
});

test('no answer within the bound rejects with MetricsUnavailable', async () => {
  const relay = new MetricsRelay(() => {}, 20);
  await assert.rejects(relay.request(), (e: Error) => e instanceof MetricsUnavailable && /did not answer within 20 ms/.test(e.message));
});

async function serve(metrics: () => Promise<string | null>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => handleHttp(req, res, { ready: () => true, degraded: () => null, webchat: null, metrics }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('GET /metrics: 200 Prometheus text, 503 with retry-after when unavailable, 404 where not served', async () => {
  const ok = await serve(async () => 'lanegate_x 1\n');
  const unavailable = await serve(() => Promise.reject(new MetricsUnavailable('test')));
  const none = await serve(async () => null);
  try {
    const r1 = await fetch(`${ok.url}/metrics`);
    assert.equal(r1.status, 200);
    assert.equal(r1.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(await r1.text(), 'lanegate_x 1\n');
    const r2 = await fetch(`${unavailable.url}/metrics`);
    assert.equal(r2.status, 503);
    assert.equal(r2.headers.get('retry-after'), '1');
    assert.match(((await r2.json()) as { error: string }).error, /metrics unavailable/);
    const r3 = await fetch(`${none.url}/metrics`);
    assert.equal(r3.status, 404);
    // No webchat on this port either.
    assert.equal((await fetch(`${none.url}/`)).status, 404);
    assert.equal((await fetch(`${none.url}/webchat/config`)).status, 404);
  } finally {
    for (const s of [ok, unavailable, none]) s.server.close();
  }
});
