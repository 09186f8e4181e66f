import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnAdmission, ipKey, TokenBucket } from '../../src/socket/limits.js';
import { OriginPolicy } from '../../src/socket/origin.js';
import { jwtScopes, looksLikeJwt } from '../../src/protocol/jwt.js';

// The edge policies on their own, with explicit clocks (no timers).

test('token bucket: burst, refusals with retry-after, cut after another burst of debt, refill', () => {
  const b = new TokenBucket(10, 5, 0);
  for (let i = 0; i < 5; i++) assert.equal(b.take(0), 'ok');
  assert.equal(b.take(0), 'refuse');
  assert.equal(b.retryAfterMs(0), 200, 'tokens -1: two tokens to go at 10/s');
  for (let i = 0; i < 4; i++) assert.equal(b.take(0), 'refuse');
  assert.equal(b.take(0), 'cut', 'debt beyond one more burst');
  // A client that waits is welcome again: 10/s over 2 s pays the debt back and refills.
  const c = new TokenBucket(10, 5, 0);
  for (let i = 0; i < 8; i++) c.take(0);
  assert.equal(c.take(1000), 'ok');
  assert.equal(c.full(10_000), true);
});

test('ipKey: IPv4 as is, IPv4-mapped unwrapped, IPv6 by /64', () => {
  assert.equal(ipKey('10.1.2.3'), '10.1.2.3');
  assert.equal(ipKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(ipKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(ipKey('2001:db8:1:2::ffff'), '2001:db8:1:2::/64');
  assert.equal(ipKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(ipKey('::1'), '0:0:0:0::/64');
  assert.equal(ipKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('connection admission: per-IP rate, per-IP open, port total; release frees the slot', () => {
  const a = new ConnAdmission(3, { maxConns: 2, rate: 1, burst: 3 });
  const x1 = a.admit('10.0.0.1', 0);
  const x2 = a.admit('10.0.0.1', 0);
  assert.ok(x1.ok && x2.ok);
  assert.deepEqual(a.admit('10.0.0.1', 0), { ok: false, status: 429, reason: 'ip-conns' });
  const r = a.admit('10.0.0.1', 0);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.reason, 'ip-rate', 'the 4th attempt in the same instant exceeds burst 3');
  const y = a.admit('10.0.0.2', 0);
  assert.ok(y.ok);
  const z = a.admit('10.0.0.3', 0);
  assert.equal(!z.ok && z.reason, 'conn-cap');
  if (y.ok) y.release();
  if (y.ok) y.release(); // twice is once
  assert.equal(a.open, 2);
  assert.ok(a.admit('10.0.0.3', 0).ok);
});

test('origin policy: listed, webchat origin by arrival address, localhost on loopback; not Host-based', () => {
  const p = new OriginPolicy({ allowed: ['https://chat.example.com'], host: '127.0.0.1', tls: false }, 18789);
  assert.equal(p.allows(undefined, '127.0.0.1'), true, 'no Origin: not a browser');
  assert.equal(p.allows('https://chat.example.com', '127.0.0.1'), true);
  assert.equal(p.allows('http://127.0.0.1:18789', '127.0.0.1'), true);
  assert.equal(p.allows('http://localhost:18789', '127.0.0.1'), true);
  assert.equal(p.allows('http://localhost:18789', '::ffff:127.0.0.1'), true);
  assert.equal(p.allows('http://localhost:18790', '127.0.0.1'), false, 'another port');
  assert.equal(p.allows('http://evil.example:18789', '127.0.0.1'), false, 'DNS rebinding');
  assert.equal(p.allows('null', '127.0.0.1'), false);
  const lan = new OriginPolicy({ allowed: [], host: '0.0.0.0', tls: true }, 443);
  assert.equal(lan.allows('https://192.168.1.5', '192.168.1.5'), true, 'the address the page was loaded from');
  assert.equal(lan.allows('https://192.168.1.6', '192.168.1.5'), false);
  assert.equal(lan.allows('http://192.168.1.5:443', '192.168.1.5'), false, 'TLS port: https only');
  assert.equal(lan.allows('https://localhost', '192.168.1.5'), false, 'localhost only on loopback');
  const unknown = new OriginPolicy({ allowed: [], host: '127.0.0.1', tls: false }, null);
  assert.equal(unknown.allows('http://127.0.0.1:18789', '127.0.0.1'), false, 'webchat port not known yet');
  unknown.webchatPort = 18789;
  assert.equal(unknown.allows('http://127.0.0.1:18789', '127.0.0.1'), true);
  assert.equal(new OriginPolicy({ allowed: ['*'], host: '127.0.0.1', tls: false }, 1).allows('http://any.example', '127.0.0.1'), true);
});

test('JWT scope claims: `scope` string or `scopes` array; unknown names ignored', () => {
  assert.deepEqual(jwtScopes({ scope: 'ops.read  operator.read x' }), ['operator.read', 'ops.read']);
  assert.deepEqual(jwtScopes({ scopes: ['ops.write', 1, 'y'] }), ['ops.write']);
  assert.deepEqual(jwtScopes({ scope: 'ops.read', scopes: ['ops.write'] }), ['ops.read'], '`scope` wins');
  assert.deepEqual(jwtScopes({}), []);
  assert.equal(looksLikeJwt('a.b.c'), true);
  assert.equal(looksLikeJwt('a.b.'), true);
  assert.equal(looksLikeJwt('secret token'), false);
});
