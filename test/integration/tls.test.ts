import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { chatOnce, TestClient } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// TLS: with LANEGATE_TLS_CERT and LANEGATE_TLS_KEY both ports serve wss://
// and HTTP is https://. The certificate is made here at run time (openssl,
// self-signed, valid for 127.0.0.1); clients trust it by passing it as
// their CA, so the test checks real verification, not a switched-off one.

let dir: string;
let cert: Buffer;
let gw: RunningGateway;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lanegate-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=lanegate-test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'));
  gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_TLS_CERT: join(dir, 'cert.pem'), LANEGATE_TLS_KEY: join(dir, 'key.pem') });
});
after(async () => {
  await gw.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the banner shows wss:// and https://', () => {
  assert.match(gw.convUrl, /^wss:\/\/127\.0\.0\.1:\d+$/);
  assert.match(gw.opsUrl!, /^wss:\/\/127\.0\.0\.1:\d+$/);
  assert.match(gw.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
});

test('conv and ops ports speak the protocol over TLS; HTTP is https', async () => {
  const c = await TestClient.connect(gw.convUrl, { ws: { ca: cert } });
  const { final } = await chatOnce(c, 'agent:main:main', 'over tls', 'tls-1');
  assert.equal(final.payload.state, 'final');
  const o = await TestClient.connect(gw.opsUrl!, { ws: { ca: cert } });
  const r = await o.request('ops.deliver', { lane: 'cron', sessionKey: 's', idempotencyKey: 'tls-d1', kind: 'k', payload: {} });
  assert.equal(r.payload.accepted, true);
  const health = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    get(`${gw.httpUrl}/healthz`, { ca: cert }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.body), { ok: true, status: 'live' });
  await Promise.all([c.close(), o.close()]);
});

test('plain ws:// and a client that does not trust the certificate are refused; TLS clients go on', async () => {
  const c = await TestClient.connect(gw.convUrl, { ws: { ca: cert } });
  const plain = gw.convUrl.replace(/^wss:/, 'ws:');
  await assert.rejects(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(plain);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    }),
    'plain text on the TLS port',
  );
  await assert.rejects(TestClient.connect(gw.convUrl), /self[- ]signed/, 'no trust, no connection');
  const { final } = await chatOnce(c, 'agent:main:main', 'still over tls', 'tls-2');
  assert.equal(final.payload.state, 'final');
  const refusals = (await c.request('status', {})).payload.lanegate.edge.conv.refusals;
  assert.ok(refusals.tls >= 1, JSON.stringify(refusals));
  await c.close();
});
