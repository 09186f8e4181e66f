import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULTS, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

// The security settings: defaults, and each bad value refused with a
// ConfigError naming its variable, never echoing a secret.

const SECRET = 'a-jwt-secret-of-at-least-32-bytes-xxxxxxxx';
let dir: string;
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lanegate-cfg-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function refused(env: Record<string, string>, variable: string, secret?: string): void {
  assert.throws(
    () => loadConfig(env),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.variable, variable, e.message);
      if (secret) assert.ok(!e.message.includes(secret), 'the secret is not in the message');
      return true;
    },
  );
}

test('limit defaults', () => {
  const c = loadConfig({});
  assert.equal(c.jwt, null);
  assert.equal(c.tls, null);
  assert.deepEqual(c.allowedOrigins, []);
  assert.equal(c.limits.preauthMaxPayload, 65536);
  assert.deepEqual(c.limits.conv, { rate: DEFAULTS.convRate, burst: DEFAULTS.convRateBurst, maxConns: DEFAULTS.convMaxConns, maxBufferedBytes: 50 * 1024 * 1024 });
  assert.deepEqual(c.limits.ops, { rate: DEFAULTS.opsRate, burst: DEFAULTS.opsRateBurst, maxConns: DEFAULTS.opsMaxConns, maxBufferedBytes: 16 * 1024 * 1024 });
  assert.deepEqual(c.limits.perIp, { maxConns: 64, rate: 20, burst: 40 });
});

test('a non-loopback host is accepted with JWT auth alone, refused with none', () => {
  assert.equal(loadConfig({ LANEGATE_HOST: '0.0.0.0', LANEGATE_JWT_SECRET: SECRET }).host, '0.0.0.0');
  refused({ LANEGATE_HOST: '0.0.0.0' }, 'LANEGATE_TOKEN');
});

test('JWT settings', () => {
  const c = loadConfig({ LANEGATE_JWT_SECRET: SECRET, LANEGATE_JWT_ISSUER: 'https://i', LANEGATE_JWT_AUDIENCE: 'a, b' });
  assert.deepEqual(c.jwt, { secret: SECRET, publicKeyPem: null, jwks: null, issuer: 'https://i', audience: ['a', 'b'] });
  const short = 'too-short-secret';
  refused({ LANEGATE_JWT_SECRET: short }, 'LANEGATE_JWT_SECRET', short);
  const { publicKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = file('rsa.pem', rsa.export({ type: 'spki', format: 'pem' }).toString());
  assert.match(loadConfig({ LANEGATE_JWT_PUBLIC_KEY: pem }).jwt!.publicKeyPem!, /BEGIN PUBLIC KEY/);
  refused({ LANEGATE_JWT_SECRET: SECRET, LANEGATE_JWT_PUBLIC_KEY: pem }, 'LANEGATE_JWT_PUBLIC_KEY', SECRET);
  const { publicKey: ed } = generateKeyPairSync('ed25519');
  refused({ LANEGATE_JWT_PUBLIC_KEY: file('ed.pem', ed.export({ type: 'spki', format: 'pem' }).toString()) }, 'LANEGATE_JWT_PUBLIC_KEY');
  refused({ LANEGATE_JWT_PUBLIC_KEY: file('junk.pem', 'not a key') }, 'LANEGATE_JWT_PUBLIC_KEY');
  refused({ LANEGATE_JWT_PUBLIC_KEY: join(dir, 'missing.pem') }, 'LANEGATE_JWT_PUBLIC_KEY');
  const { publicKey: ec, privateKey: ecPriv } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = ec.export({ format: 'jwk' });
  assert.equal(loadConfig({ LANEGATE_JWT_JWKS: file('jwks.json', JSON.stringify({ keys: [jwk] })) }).jwt!.jwks!.keys.length, 1);
  const priv = ecPriv.export({ format: 'jwk' });
  refused({ LANEGATE_JWT_JWKS: file('priv.json', JSON.stringify({ keys: [priv] })) }, 'LANEGATE_JWT_JWKS', String(priv.d));
  refused({ LANEGATE_JWT_JWKS: file('empty.json', '{"keys":[]}') }, 'LANEGATE_JWT_JWKS');
  refused({ LANEGATE_JWT_ISSUER: 'https://i' }, 'LANEGATE_JWT_ISSUER');
});

test('origins are normalized; bad ones are refused', () => {
  assert.deepEqual(loadConfig({ LANEGATE_ALLOWED_ORIGINS: 'https://Chat.Example.com/, http://localhost:5173, *' }).allowedOrigins, [
    'https://chat.example.com',
    'http://localhost:5173',
    '*',
  ]);
  for (const bad of ['chat.example.com', 'ftp://x', 'https://x/path', 'https://x?q=1']) refused({ LANEGATE_ALLOWED_ORIGINS: bad }, 'LANEGATE_ALLOWED_ORIGINS');
});

test('TLS needs a matching certificate and key', () => {
  const k1 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = file('k1.pem', k1);
  refused({ LANEGATE_TLS_KEY: key }, 'LANEGATE_TLS_CERT');
  refused({ LANEGATE_TLS_CERT: file('c.pem', 'not a cert') }, 'LANEGATE_TLS_KEY');
  refused({ LANEGATE_TLS_CERT: file('c2.pem', 'not a cert'), LANEGATE_TLS_KEY: key }, 'LANEGATE_TLS_CERT', k1.split('\n')[1]);
  // A real certificate with somebody else's key.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=t', '-keyout', join(dir, 'own.pem'), '-out', join(dir, 'real.pem')], { stdio: 'ignore' });
  refused({ LANEGATE_TLS_CERT: join(dir, 'real.pem'), LANEGATE_TLS_KEY: key }, 'LANEGATE_TLS_KEY', k1.split('\n')[1]);
  assert.ok(loadConfig({ LANEGATE_TLS_CERT: join(dir, 'real.pem'), LANEGATE_TLS_KEY: join(dir, 'own.pem') }).tls);
});

test('limits: each bad value names its variable', () => {
  const cases: [string, string][] = [
    ['LANEGATE_CONV_RATE', '-1'],
    ['LANEGATE_OPS_RATE', '1.5'],
    ['LANEGATE_CONV_RATE_BURST', '0'],
    ['LANEGATE_OPS_MAX_CONNS', '0'],
    ['LANEGATE_CONV_MAX_BUFFERED_BYTES', '10'],
    ['LANEGATE_MAX_CONNS_PER_IP', 'many'],
    ['LANEGATE_CONN_RATE_PER_IP', '-5'],
    ['LANEGATE_CONN_BURST_PER_IP', '0'],
    ['LANEGATE_PREAUTH_MAX_PAYLOAD', '100'],
  ];
  for (const [v, bad] of cases) refused({ [v]: bad }, v);
  assert.equal(loadConfig({ LANEGATE_CONV_RATE: '0' }).limits.conv.rate, 0, '0 turns the rate limit off');
});
