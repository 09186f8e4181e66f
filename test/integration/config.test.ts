import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGatewayExpectExit } from '../helpers/gateway-process.js';

// A bad environment value stops the gateway before it listens: exit status
// 2 and one line that names the variable, the value and what is allowed.

async function expectRefused(env: Record<string, string>, variable: string, allowed: RegExp): Promise<void> {
  const r = await runGatewayExpectExit(env);
  assert.equal(r.code, 2, `exit status 2 (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one line');
  assert.match(lines[0]!, new RegExp(`^lanegate: ${variable}=`), 'names the variable');
  assert.match(lines[0]!, allowed, 'says what is allowed');
  assert.equal(r.stdout, '', 'nothing started');
}

test('port: out of range', () => expectRefused({ LANEGATE_CONV_PORT: '70000' }, 'LANEGATE_CONV_PORT', /"70000".*TCP port from 0 to 65535/));
test('port: not a number (OpenClaw alias read too)', () => expectRefused({ LANEGATE_CONV_PORT: '', OPENCLAW_GATEWAY_PORT: 'abc' }, 'OPENCLAW_GATEWAY_PORT', /TCP port/));
test('port: ops port equal to the conv port', () => expectRefused({ LANEGATE_CONV_PORT: '18999', LANEGATE_OPS_PORT: '18999' }, 'LANEGATE_OPS_PORT', /other than the conv port/));
test('ring size: not a power of two', () => expectRefused({ LANEGATE_OPS_RING_BYTES: '100000' }, 'LANEGATE_OPS_RING_BYTES', /power of two from 65536/));
test('ring size: too small', () => expectRefused({ LANEGATE_CONV_RING_BYTES: '1024' }, 'LANEGATE_CONV_RING_BYTES', /power of two/));
test('ops out headroom: not below the outbound ring size (ops would stop for good)', () =>
  expectRefused({ LANEGATE_OUT_RING_BYTES: '131072', LANEGATE_OPS_OUT_HEADROOM: '131072' }, 'LANEGATE_OPS_OUT_HEADROOM', /"131072".*integer from 1024 to 131071 \(less than LANEGATE_OUT_RING_BYTES/));
test('byte size: not an integer', () => expectRefused({ LANEGATE_CONV_MAX_PAYLOAD: '1.5e6' }, 'LANEGATE_CONV_MAX_PAYLOAD', /integer from 1024/));
test('enum: unknown log level', () => expectRefused({ LANEGATE_LOG_LEVEL: 'loud' }, 'LANEGATE_LOG_LEVEL', /one of silent, fatal, error, warn, info, debug, trace/));
test('path: agent module that does not exist', () =>
  expectRefused({ LANEGATE_AGENT: '/nonexistent/agent.js' }, 'LANEGATE_AGENT', /echo, openai, or the path of an existing agent module/));
test('host: not loopback and no token', () => expectRefused({ LANEGATE_HOST: '0.0.0.0' }, 'LANEGATE_TOKEN', /required when LANEGATE_HOST/));
test('openai agent at OpenAI without a key', () => expectRefused({ LANEGATE_AGENT: 'openai' }, 'OPENAI_API_KEY', /required for the openai agent at https:\/\/api\.openai\.com\/v1 \(LANEGATE_AGENT selects it/));
test('jwt: an issuer without a key source', () =>
  expectRefused({ LANEGATE_JWT_ISSUER: 'https://i' }, 'LANEGATE_JWT_ISSUER', /set only with LANEGATE_JWT_SECRET/));
test('jwt: a short secret is refused without being echoed', async () => {
  const r = await runGatewayExpectExit({ LANEGATE_JWT_SECRET: 'short-secret-value' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^lanegate: LANEGATE_JWT_SECRET="\[redacted\]" is invalid: at least 32 bytes/);
  assert.doesNotMatch(r.stderr, /short-secret-value/);
});
test('tls: a certificate without a key', () => expectRefused({ LANEGATE_TLS_CERT: '/nonexistent/cert.pem' }, 'LANEGATE_TLS_CERT', /readable file holding a PEM certificate/));
test('limits: a rate that is not an integer', () => expectRefused({ LANEGATE_OPS_RATE: 'fast' }, 'LANEGATE_OPS_RATE', /integer from 0 to/));
test('origins: not an origin', () => expectRefused({ LANEGATE_ALLOWED_ORIGINS: 'example.com' }, 'LANEGATE_ALLOWED_ORIGINS', /comma list of origins/));
