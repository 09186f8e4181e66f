import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// Auth: the shared token and JWT (HS256 secret, RS256 public key file,
// ES256 JWKS file) side by side. Each refusal is an OpenClaw error with
// close 1008 while an observer on the same port keeps chatting, and no
// secret (token, JWT secret, any JWT) appears in the gateway's output at
// debug level.

const TOKEN = 'auth-test-shared-token-0123456789';
const SECRET = 'auth-test-hs256-secret-that-is-long-enough-0123456789';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'lanegate-test';
const KEY = 'agent:main:main';
const issued: string[] = [];
const now = (): number => Math.floor(Date.now() / 1000);

async function hs(claims: JWTPayload, opts: { secret?: string; exp?: number | null; iss?: string; aud?: string; alg?: string } = {}): Promise<string> {
  let j = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256' }).setIssuedAt().setIssuer(opts.iss ?? ISSUER).setAudience(opts.aud ?? AUDIENCE);
  if (opts.exp !== null) j = j.setExpirationTime(opts.exp ?? now() + 600);
  const t = await j.sign(new TextEncoder().encode(opts.secret ?? SECRET));
  issued.push(t);
  return t;
}

type Refusal = { frame: Frame; client: TestClient };
const refused = async (url: string, token: string): Promise<Refusal> => {
  const r = await TestClient.connect(url, { token }).then(
    (c) => ({ connected: c }),
    (e: Refusal) => e,
  );
  assert.ok(!('connected' in r), 'refused');
  return r as Refusal;
};

async function stillServing(c: TestClient, tag: string): Promise<void> {
  const { final } = await chatOnce(c, KEY, `still serving ${tag}`, `${tag}-${Math.random().toString(36).slice(2)}`);
  assert.equal(final.payload.state, 'final');
}

describe('HS256 secret next to the shared token', () => {
  let gw: RunningGateway;
  let observer: TestClient;
  before(async () => {
    gw = await startGateway({
      LANEGATE_TOKEN: TOKEN,
      LANEGATE_JWT_SECRET: SECRET,
      LANEGATE_JWT_ISSUER: ISSUER,
      LANEGATE_JWT_AUDIENCE: `other-service, ${AUDIENCE}`,
      LANEGATE_OPS_PORT: '0',
      LANEGATE_LOG_LEVEL: 'debug',
    });
    observer = await TestClient.connect(gw.convUrl, { token: await hs({ scope: 'operator.read operator.write' }) });
  });
  after(async () => {
    await observer.close();
    await gw.stop();
  });

  test('a JWT grants the scopes of its `scope` claim, shown in hello-ok', async () => {
    const c = await TestClient.connect(gw.convUrl, { token: await hs({ sub: 'alice', scope: 'operator.read operator.write unknown.scope' }) });
    assert.deepEqual(c.hello!.payload.auth.scopes, ['operator.read', 'operator.write']);
    await stillServing(c, 'jwt');
    await c.close();
  });

  test('the `scopes` array claim works too; a missing scope is FORBIDDEN', async () => {
    const c = await TestClient.connect(gw.convUrl, { token: await hs({ scopes: ['operator.read'] }) });
    assert.deepEqual(c.hello!.payload.auth.scopes, ['operator.read']);
    assert.equal((await c.request('status', {})).ok, true);
    const r = await c.request('chat.send', { sessionKey: KEY, message: 'hi', idempotencyKey: 'forbidden-1' });
    assert.equal(r.error!.code, 'FORBIDDEN');
    assert.equal(r.error!.details.code, 'MISSING_SCOPE');
    assert.equal(r.error!.details.missingScope, 'operator.write');
    await stillServing(observer, 'forbidden');
    await c.close();
  });

  test('connect.params.scopes narrows what a JWT grants, never widens it', async () => {
    const c = await TestClient.connect(gw.convUrl, { token: await hs({ scope: 'operator.read' }), scopes: ['operator.read', 'operator.write', 'ops.write'] });
    assert.deepEqual(c.hello!.payload.auth.scopes, ['operator.read']);
    await c.close();
    const d = await TestClient.connect(gw.convUrl, { token: await hs({ scope: 'operator.read operator.write' }), scopes: ['operator.read'] });
    assert.deepEqual(d.hello!.payload.auth.scopes, ['operator.read']);
    assert.equal((await d.request('chat.send', { sessionKey: KEY, message: 'x', idempotencyKey: 'narrow-1' })).error!.code, 'FORBIDDEN');
    await d.close();
  });

  test('ops port: ops.read may subscribe but not deliver; ops.write may deliver', async () => {
    const reader = await TestClient.connect(gw.opsUrl!, { token: await hs({ scope: 'ops.read' }) });
    const writer = await TestClient.connect(gw.opsUrl!, { token: await hs({ scope: 'ops.write' }) });
    const sub = await reader.request('ops.subscribe', {});
    assert.equal(sub.ok, true);
    const nope = await reader.request('ops.deliver', { lane: 'cron', sessionKey: 's', idempotencyKey: 'r-1', kind: 'k', payload: {} });
    assert.equal(nope.error!.code, 'FORBIDDEN');
    assert.equal(nope.error!.details.missingScope, 'ops.write');
    const noSub = await writer.request('ops.subscribe', {});
    assert.equal(noSub.error!.code, 'FORBIDDEN');
    const event = reader.waitFor((f) => f.event === 'ops' && f.payload.idempotencyKey === 'w-1');
    const ok = await writer.request('ops.deliver', { lane: 'cron', sessionKey: 's', idempotencyKey: 'w-1', kind: 'k', payload: { n: 1 } });
    assert.equal(ok.payload.accepted, true);
    assert.equal((await event).payload.payload.n, 1);
    await Promise.all([reader.close(), writer.close()]);
  });

  test('the shared token still grants every scope', async () => {
    const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
    assert.deepEqual([...c.hello!.payload.auth.scopes].sort(), ['operator.read', 'operator.write', 'ops.read', 'ops.write']);
    await c.close();
  });

  test('refused JWTs: each gets AUTH_TOKEN_MISMATCH with its reason and close 1008; others keep chatting', async () => {
    const cases: [string, string, string][] = [
      ['expired', await hs({ scope: 'operator.read' }, { exp: now() - 60 }), 'jwt_expired'],
      ['no exp', await hs({ scope: 'operator.read' }, { exp: null }), 'jwt_claim_invalid'],
      ['wrong issuer', await hs({ scope: 'operator.read' }, { iss: 'https://evil.test' }), 'jwt_claim_invalid'],
      ['wrong audience', await hs({ scope: 'operator.read' }, { aud: 'someone-else' }), 'jwt_claim_invalid'],
      ['wrong secret', await hs({ scope: 'operator.read' }, { secret: 'another-secret-that-is-long-enough-to-sign-with!' }), 'jwt_invalid'],
      ['HS512 (algorithm not allowed)', await hs({ scope: 'operator.read' }, { alg: 'HS512' }), 'jwt_invalid'],
      ['alg none', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ scope: 'operator.read', exp: now() + 600 })).toString('base64url')}.`, 'jwt_invalid'],
      ['tampered payload', (await hs({ scope: 'operator.read' })).replace(/\.([^.]+)\./, (_m, p: string) => `.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'operator.write' })).toString('base64url')}.`), 'jwt_invalid'],
      ['not a JWT, not the token', 'guess', 'token_mismatch'],
    ];
    for (const [what, token, reason] of cases) {
      const r = await refused(gw.convUrl, token);
      assert.equal(r.frame.error!.code, 'INVALID_REQUEST', what);
      assert.equal(r.frame.error!.details.code, 'AUTH_TOKEN_MISMATCH', what);
      assert.equal(r.frame.error!.details.authReason, reason, what);
      assert.ok(!JSON.stringify(r.frame).includes(token), `${what}: the token is not echoed`);
      assert.equal((await r.client.closed).code, 1008, what);
    }
    await stillServing(observer, 'after-refusals');
    const edge = (await observer.request('status', {})).payload.lanegate.edge;
    assert.ok(edge.conv.refusals.auth >= cases.length, `auth refusals counted: ${JSON.stringify(edge.conv.refusals)}`);
  });

  test('a JWT connection is closed with 1008 when its token expires', async () => {
    // exp has one-second resolution: a token valid for 2 more seconds.
    const c = await TestClient.connect(gw.convUrl, { token: await hs({ scope: 'operator.read' }, { exp: now() + 2 }) });
    const closed = await c.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'token expired');
    await stillServing(observer, 'after-expiry');
  });

  test('no secret appears in the output at debug level', async () => {
    await observer.request('status', {});
    await gw.stop();
    const out = gw.stdout() + gw.stderr();
    assert.match(out, /"level":20/, 'debug lines were written');
    assert.match(out, /"reason":"auth"/, 'each refusal was logged (debug)');
    assert.match(out, /"refusals":\{[^}]*"auth":\d+[^}]*\},"msg":"refusals by reason \(totals\)"/, 'the totals by reason were logged');
    for (const s of [TOKEN, SECRET, ...issued]) assert.ok(!out.includes(s), `secret ${s.slice(0, 12)}... not in the output`);
    // The signature part alone is secret-derived as well.
    for (const t of issued) {
      const sig = t.split('.')[2]!;
      if (sig.length > 10) assert.ok(!out.includes(sig), 'no JWT signature in the output');
    }
  });
});

describe('RS256 public key file and ES256 JWKS file', () => {
  let dir: string;
  let rsaGw: RunningGateway;
  let jwksGw: RunningGateway;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ec: Awaited<ReturnType<typeof generateKeyPair>>;
  let pem: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lanegate-jwt-'));
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    pem = await exportSPKI(rsa.publicKey);
    writeFileSync(join(dir, 'rsa.pem'), pem);
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }] }));
    [rsaGw, jwksGw] = await Promise.all([
      startGateway({ LANEGATE_JWT_PUBLIC_KEY: join(dir, 'rsa.pem') }),
      startGateway({ LANEGATE_JWT_JWKS: join(dir, 'jwks.json'), LANEGATE_JWT_AUDIENCE: AUDIENCE }),
    ]);
  });
  after(async () => {
    await Promise.all([rsaGw.stop(), jwksGw.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('RS256: a token signed with the private key connects; others are refused', async () => {
    const good = await new SignJWT({ scope: 'operator.read operator.write' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('10m').sign(rsa.privateKey);
    const c = await TestClient.connect(rsaGw.convUrl, { token: good });
    await stillServing(c, 'rs256');
    // Algorithm confusion: HS256 "signed" with the public key text must not pass.
    const confused = await new SignJWT({ scope: 'operator.write' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(pem));
    const other = await generateKeyPair('RS256');
    const foreign = await new SignJWT({ scope: 'operator.write' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('10m').sign(other.privateKey);
    for (const t of [confused, foreign]) {
      const r = await refused(rsaGw.convUrl, t);
      assert.equal(r.frame.error!.details.authReason, 'jwt_invalid');
      assert.equal((await r.client.closed).code, 1008);
    }
    await stillServing(c, 'rs256-after');
    await c.close();
  });

  test('ES256 JWKS: a token with a known kid connects; unknown key or audience is refused', async () => {
    const sign = (kid: string, key: CryptoKey, aud = AUDIENCE): Promise<string> =>
      new SignJWT({ scope: 'operator.read operator.write' }).setProtectedHeader({ alg: 'ES256', kid }).setAudience(aud).setExpirationTime('10m').sign(key);
    const c = await TestClient.connect(jwksGw.convUrl, { token: await sign('ec-1', ec.privateKey as CryptoKey) });
    await stillServing(c, 'jwks');
    const other = await generateKeyPair('ES256');
    const r1 = await refused(jwksGw.convUrl, await sign('ec-2', other.privateKey as CryptoKey));
    assert.equal(r1.frame.error!.details.authReason, 'jwt_invalid');
    const r2 = await refused(jwksGw.convUrl, await sign('ec-1', ec.privateKey as CryptoKey, 'not-us'));
    assert.equal(r2.frame.error!.details.authReason, 'jwt_claim_invalid');
    await stillServing(c, 'jwks-after');
    await c.close();
  });
});
