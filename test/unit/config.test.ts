import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

test('defaults match the design table', () => {
  const c = loadConfig({});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.convPort, 18789);
  assert.equal(c.opsPort, null);
  assert.equal(c.token, null);
  assert.equal(c.convRingBytes, 1048576);
  assert.equal(c.opsRingBytes, 4194304);
  assert.equal(c.outRingBytes, 4194304);
  assert.equal(c.convMaxPayload, 1048576);
  assert.equal(c.opsMaxPayload, 16777216);
  assert.deepEqual(c.agents, [{ id: 'main', name: null, kind: 'echo' }]);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.tickIntervalMs, DEFAULTS.tickIntervalMs);
  assert.equal(c.scavenge, 'serial');
  assert.equal(loadConfig({ LANEGATE_SCAVENGE: 'parallel' }).scavenge, 'parallel');
  assert.equal(c.opsDeflate.mode, 'off', 'the ops port does not compress unless asked');
  assert.deepEqual(loadConfig({ LANEGATE_OPS_DEFLATE: 'on', LANEGATE_OPS_DEFLATE_LEVEL: '6' }).opsDeflate, { mode: 'on', threshold: 16384, level: 6, memLevel: 8, concurrency: 2 });
  assert.equal(c.stateDir, join(homedir(), '.lanegate'));
  assert.equal(c.fsync, 'always');
  assert.equal(c.opsRetentionBytes, 256 * 1024 * 1024);
  assert.equal(c.opsRetentionMs, 7 * 24 * 3600 * 1000);
});

test('state settings: :memory:, relative paths resolved, retention and idle limits with 0 = off', () => {
  assert.equal(loadConfig({ LANEGATE_STATE_DIR: ':memory:' }).stateDir, null);
  assert.equal(loadConfig({ LANEGATE_STATE_DIR: 'rel/state' }).stateDir, resolve('rel/state'));
  const c = loadConfig({ LANEGATE_FSYNC: 'everysec', LANEGATE_OPS_RETENTION_BYTES: '0', LANEGATE_OPS_RETENTION_MS: '0', LANEGATE_SESSION_IDLE_MS: '0' });
  assert.deepEqual([c.fsync, c.opsRetentionBytes, c.opsRetentionMs, c.sessionIdleMs], ['everysec', 0, 0, 0]);
});

test('OpenClaw variable names are read as aliases; lanegate names win', () => {
  assert.equal(loadConfig({ OPENCLAW_GATEWAY_PORT: '19001' }).convPort, 19001);
  assert.equal(loadConfig({ OPENCLAW_GATEWAY_PORT: '19001', LANEGATE_CONV_PORT: '19002' }).convPort, 19002);
  assert.equal(loadConfig({ OPENCLAW_GATEWAY_TOKEN: 't' }).token, 't');
});

test('a non-loopback host with a token is accepted', () => {
  const c = loadConfig({ LANEGATE_HOST: '0.0.0.0', LANEGATE_TOKEN: 'secret' });
  assert.equal(c.host, '0.0.0.0');
});

test('each bad value throws a ConfigError naming its variable', () => {
  const cases: [Record<string, string>, string][] = [
    [{ LANEGATE_CONV_PORT: '-1' }, 'LANEGATE_CONV_PORT'],
    [{ LANEGATE_OPS_PORT: '65536' }, 'LANEGATE_OPS_PORT'],
    [{ LANEGATE_CONV_RING_BYTES: String(1 << 31) }, 'LANEGATE_CONV_RING_BYTES'],
    [{ LANEGATE_OUT_RING_BYTES: '98304' }, 'LANEGATE_OUT_RING_BYTES'],
    [{ LANEGATE_LOG_LEVEL: 'INFO' }, 'LANEGATE_LOG_LEVEL'],
    [{ LANEGATE_AGENT: 'not-a-file.txt' }, 'LANEGATE_AGENT'],
    [{ LANEGATE_HOST: 'http://x' }, 'LANEGATE_HOST'],
    [{ LANEGATE_TICK_INTERVAL_MS: '5' }, 'LANEGATE_TICK_INTERVAL_MS'],
    [{ LANEGATE_OPS_NICE: '20' }, 'LANEGATE_OPS_NICE'],
    [{ LANEGATE_OPS_OUT_HEADROOM: '4194304' }, 'LANEGATE_OPS_OUT_HEADROOM'],
    [{ LANEGATE_OPS_DEFLATE: 'yes' }, 'LANEGATE_OPS_DEFLATE'],
    [{ LANEGATE_OPS_DEFLATE_LEVEL: '0' }, 'LANEGATE_OPS_DEFLATE_LEVEL'],
    [{ LANEGATE_OPS_DEFLATE_MEM_LEVEL: '10' }, 'LANEGATE_OPS_DEFLATE_MEM_LEVEL'],
    [{ LANEGATE_OPS_DEFLATE_CONCURRENCY: '0' }, 'LANEGATE_OPS_DEFLATE_CONCURRENCY'],
    [{ LANEGATE_OPS_DEFLATE_THRESHOLD: '-1' }, 'LANEGATE_OPS_DEFLATE_THRESHOLD'],
    [{ LANEGATE_OUT_RING_BYTES: '65536', LANEGATE_OPS_OUT_HEADROOM: '65536' }, 'LANEGATE_OPS_OUT_HEADROOM'],
    [{ LANEGATE_SCAVENGE: 'fast' }, 'LANEGATE_SCAVENGE'],
    [{ LANEGATE_OPENAI_BASE_URL: 'ftp://x' }, 'LANEGATE_OPENAI_BASE_URL'],
    [{ LANEGATE_REDIS_URL: 'http://127.0.0.1:6379' }, 'LANEGATE_REDIS_URL'],
    [{ LANEGATE_REDIS_URL: 'redis://' }, 'LANEGATE_REDIS_URL'],
    [{ LANEGATE_REDIS_URL: 'redis://127.0.0.1:6379/16' }, 'LANEGATE_REDIS_URL'],
    [{ LANEGATE_REDIS_URL: 'redis://127.0.0.1:6379', LANEGATE_REDIS_PREFIX: 'has space' }, 'LANEGATE_REDIS_PREFIX'],
    [{ LANEGATE_REDIS_URL: 'redis://127.0.0.1:6379', LANEGATE_REDIS_PREFIX: 'a{b' }, 'LANEGATE_REDIS_PREFIX'],
    [{ LANEGATE_REDIS_PREFIX: 'x:' }, 'LANEGATE_REDIS_PREFIX'],
    [{ LANEGATE_FSYNC: 'sometimes' }, 'LANEGATE_FSYNC'],
    [{ LANEGATE_FSYNC: 'ALWAYS' }, 'LANEGATE_FSYNC'],
    [{ LANEGATE_STATE_DIR: 'a\0b' }, 'LANEGATE_STATE_DIR'],
    [{ LANEGATE_OPS_RETENTION: '0' }, 'LANEGATE_OPS_RETENTION'],
    [{ LANEGATE_OPS_RETENTION_BYTES: '1000' }, 'LANEGATE_OPS_RETENTION_BYTES'],
    [{ LANEGATE_OPS_RETENTION_BYTES: '-5' }, 'LANEGATE_OPS_RETENTION_BYTES'],
    [{ LANEGATE_OPS_RETENTION_MS: '1.5' }, 'LANEGATE_OPS_RETENTION_MS'],
    [{ LANEGATE_SESSION_IDLE_MS: '10' }, 'LANEGATE_SESSION_IDLE_MS'],
    [{ LANEGATE_SESSION_IDLE_MS: 'soon' }, 'LANEGATE_SESSION_IDLE_MS'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && e.variable === variable && e.code === 'LANEGATE_ERR_CONFIG' && e.message.startsWith(`${variable}=`),
      variable,
    );
  }
});

test('LANEGATE_REDIS_URL: off by default; redis:// and rediss:// with a password; the prefix defaults to lanegate:; a bad URL never echoes its password', () => {
  assert.equal(loadConfig({}).redis, null);
  assert.deepEqual(loadConfig({ LANEGATE_REDIS_URL: 'redis://127.0.0.1:6379' }).redis, { url: 'redis://127.0.0.1:6379', prefix: 'lanegate:' });
  assert.deepEqual(loadConfig({ LANEGATE_REDIS_URL: 'rediss://:pw@r.example:6380/2', LANEGATE_REDIS_PREFIX: 'team-a:{gw}:' }).redis, {
    url: 'rediss://:pw@r.example:6380/2',
    prefix: 'team-a:{gw}:',
  });
  assert.throws(
    () => loadConfig({ LANEGATE_REDIS_URL: 'redis://:hunter2@127.0.0.1:6379/99' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'LANEGATE_REDIS_URL' && !e.message.includes('hunter2') && e.message.includes('[redacted]'),
  );
});
