import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Webchat, WEBCHAT_FILE } from '../../src/socket/webchat.js';

const hash = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

test('the CSP allows exactly the inline script and style by hash, nothing inline otherwise', () => {
  const html = '<style>b{}</style><script>go()</script>';
  const csp = new Webchat(html, null, false).csp('127.0.0.1:8080');
  assert.match(csp, /(^|; )default-src 'none'(;|$)/);
  assert.ok(csp.includes(`script-src ${hash('go()')};`), csp);
  assert.ok(csp.includes(`style-src ${hash('b{}')};`), csp);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:8080;/);
});

test('connect-src names the ops port on the host the browser used (wss under TLS)', () => {
  const w = new Webchat('<script>x</script>', 18790, true);
  assert.match(w.csp('LocalHost:18789'), /connect-src 'self' wss:\/\/localhost:18789 wss:\/\/localhost:18790;/);
  assert.match(w.csp('[::1]:18789'), /connect-src 'self' wss:\/\/\[::1\]:18789 wss:\/\/\[::1\]:18790;/);
  assert.deepEqual(w.config(), { sessionKey: 'agent:main:main', opsPort: 18790 });
});

test('a Host header that is not a plain host[:port] is never echoed into the policy', () => {
  const w = new Webchat('<script>x</script>', 18790, false);
  for (const bad of ['a b', "x; script-src *", 'evil.example/path', '', undefined]) {
    assert.match(w.csp(bad), /connect-src 'self';/, String(bad));
  }
});

test('the shipped page has one inline script and one inline style, and the handshake', () => {
  const html = readFileSync(WEBCHAT_FILE, 'utf8');
  assert.equal(html.match(/<script>/g)?.length, 1);
  assert.equal(html.match(/<style>/g)?.length, 1);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no external script, style or URL');
  assert.match(html, /connect\.challenge/);
});
