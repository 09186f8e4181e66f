import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// GET / on the conv port serves the webchat: one self-contained page whose
// inline script and style are allowed by hash in a strict CSP, and
// GET /webchat/config tells it whether to open a second socket on the ops port.

const hashOf = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

describe('dual-port', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ LANEGATE_OPS_PORT: '0' });
  });
  after(async () => {
    await gw.stop();
  });

  test('GET / is the page, with a CSP that allows its own inline script by hash and nothing else', async () => {
    const res = await fetch(`${gw.httpUrl}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    assert.ok(csp.includes(`script-src ${hashOf(script)};`), `script hash in ${csp}`);
    assert.ok(csp.includes(`style-src ${hashOf(style)};`), `style hash in ${csp}`);
    assert.match(csp, /^default-src 'none';/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const opsPort = new URL(gw.opsUrl!).port;
    const host = new URL(gw.httpUrl).host;
    assert.match(csp, new RegExp(`connect-src 'self' ws://${host.replace(/\./g, '\\.')} ws://127\\.0\\.0\\.1:${opsPort};`));

    // The OpenClaw handshake, as the page speaks it.
    assert.match(script, /f\.event === 'connect\.challenge'/);
    assert.match(script, /request\('connect', \{ minProtocol: 4, maxProtocol: 4, client, role: 'operator', scopes, auth \}\)/);
    assert.match(script, /id: 'webchat', version: '[^']+', platform: 'web', mode: 'webchat'/);
    assert.match(script, /'chat\.history'/);
    assert.match(script, /afterSeq: state\.chatSeq/);
    assert.match(script, /'ops\.subscribe'/);
    assert.match(script, /sessionStorage/);
  });

  test('GET /webchat/config names the ops port; HEAD works; the ops port serves no page', async () => {
    const cfg = await (await fetch(`${gw.httpUrl}/webchat/config`)).json();
    assert.deepEqual(cfg, { sessionKey: 'agent:main:main', opsPort: Number(new URL(gw.opsUrl!).port) });
    const head = await fetch(`${gw.httpUrl}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-security-policy') ?? '', /script-src 'sha256-/);
    const opsHttp = gw.opsUrl!.replace(/^ws/, 'http');
    for (const path of ['/', '/webchat/config']) {
      const r = await fetch(`${opsHttp}${path}`);
      assert.equal(r.status, 404, path);
      await r.body?.cancel();
    }
  });
});

describe('single-port', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({});
  });
  after(async () => {
    await gw.stop();
  });

  test('config says there is no ops port; the CSP names only the conv socket', async () => {
    assert.deepEqual(await (await fetch(`${gw.httpUrl}/webchat/config`)).json(), { sessionKey: 'agent:main:main', opsPort: null });
    const res = await fetch(`${gw.httpUrl}/`);
    await res.text();
    assert.match(res.headers.get('content-security-policy') ?? '', new RegExp(`connect-src 'self' ws://${new URL(gw.httpUrl).host.replace(/\./g, '\\.')};`));
  });
});
