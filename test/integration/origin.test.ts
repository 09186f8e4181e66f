import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chatOnce, TestClient } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';
import { RawWs } from '../helpers/raw-ws.js';

// Browser origins: a handshake whose Origin is neither listed in
// LANEGATE_ALLOWED_ORIGINS nor the webchat's own origin (the conv port) is
// refused with HTTP 403 before the upgrade, on both ports; clients that
// send no Origin are unaffected, and a connected client keeps chatting.

let gw: RunningGateway;
let observer: TestClient;
let convPort: number;
let opsPort: number;

before(async () => {
  gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_ALLOWED_ORIGINS: 'https://chat.example.com, http://localhost:5173/' });
  observer = await TestClient.connect(gw.convUrl);
  convPort = Number(new URL(gw.convUrl).port);
  opsPort = Number(new URL(gw.opsUrl!).port);
});
after(async () => {
  await observer.close();
  await gw.stop();
});

/** The HTTP status of an upgrade with this Origin (101: accepted). */
async function statusWith(url: string, origin: string | null): Promise<number> {
  const r = await RawWs.open(url, origin === null ? {} : { headers: { Origin: origin } });
  if (r instanceof RawWs) {
    r.destroy();
    return 101;
  }
  return r.status;
}

test('listed origins, the webchat origin and no Origin at all are accepted on both ports', async () => {
  const ok = [
    null,
    'https://chat.example.com',
    'http://localhost:5173',
    `http://127.0.0.1:${convPort}`,
    `http://localhost:${convPort}`,
    `HTTP://LOCALHOST:${convPort}`,
  ];
  for (const url of [gw.convUrl, gw.opsUrl!]) for (const o of ok) assert.equal(await statusWith(url, o), 101, `${o} on ${url}`);
});

test('other origins get HTTP 403 before the upgrade; service goes on', async () => {
  const refused = [
    'http://evil.example',
    'https://chat.example.com.evil.example',
    'http://chat.example.com', // listed with https only
    `https://127.0.0.1:${convPort}`, // the webchat is served over http here
    `http://127.0.0.1:${opsPort}`, // the ops port serves no page
    `http://rebinding.example:${convPort}`, // DNS rebinding: right port, foreign name
    `http://127.0.0.2:${convPort}`, // not the address the connection arrived on
    'null',
    'not a url',
  ];
  const before = (await observer.request('status', {})).payload.lanegate.edge;
  for (const url of [gw.convUrl, gw.opsUrl!]) for (const o of refused) assert.equal(await statusWith(url, o), 403, `${o} on ${url}`);
  const after = (await observer.request('status', {})).payload.lanegate.edge;
  assert.equal((after.conv.refusals.origin ?? 0) - (before.conv.refusals.origin ?? 0), refused.length);
  assert.equal((after.ops.refusals.origin ?? 0) - (before.ops.refusals.origin ?? 0), refused.length);
  // A real client library with a refused Origin fails to connect; one with the webchat origin chats.
  await assert.rejects(TestClient.connect(gw.convUrl, { ws: { origin: 'http://evil.example' } }), /403/);
  const web = await TestClient.connect(gw.convUrl, { ws: { origin: `http://127.0.0.1:${convPort}` } });
  const { final } = await chatOnce(web, 'agent:main:main', 'from the webchat origin', 'origin-ok');
  assert.equal(final.payload.state, 'final');
  const { final: f2 } = await chatOnce(observer, 'agent:main:main', 'observer still served', 'origin-observer');
  assert.equal(f2.payload.state, 'final');
  await web.close();
});
