import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isConfig, loadConfig, resolveConfig, type GatewayOptions } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { MemoryOpsLog } from '../../src/state/memory-ops-log.js';

// One validator for both doors: `new Gateway(options)` and the environment
// map onto the same checks. An option's error names the option's path; the
// same bad value from the environment names the variable.

const dir = mkdtempSync(join(tmpdir(), 'lanegate-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function refused(o: GatewayOptions, name: string, allowed: RegExp): void {
  assert.throws(
    () => resolveConfig(o),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.variable, name, e.message);
      assert.match(e.message, allowed);
      return true;
    },
  );
}

test('the environment and the equivalent options give the same Config', () => {
  const env = loadConfig({
    LANEGATE_CONV_PORT: '0',
    LANEGATE_OPS_PORT: '19001',
    LANEGATE_CONV_RATE: '7',
    LANEGATE_MAX_CONNS_PER_IP: '3',
    LANEGATE_ALLOWED_ORIGINS: 'https://a.example, *',
    LANEGATE_OPENAI_MODEL: 'm1',
    LANEGATE_OPENAI_MAX_RETRIES: '1',
    LANEGATE_LOG_LEVEL: 'warn',
  });
  const opt = resolveConfig({
    convPort: 0,
    opsPort: 19001,
    limits: { conv: { rate: 7 }, perIp: { maxConns: 3 } },
    allowedOrigins: ['https://a.example', '*'],
    openai: { model: 'm1', maxRetries: 1 },
    logLevel: 'warn',
  });
  assert.deepEqual(opt, env);
  assert.equal(opt.limits.conv.rate, 7);
  assert.equal(opt.openai.maxRetries, 1);
});

test('a bad option names its path; the same value from the environment names the variable', () => {
  refused({ convPort: 70000 }, 'convPort', /TCP port from 0 to 65535/);
  refused({ opsRingBytes: 100_000 }, 'opsRingBytes', /power of two/);
  refused({ limits: { conv: { rate: -1 } } }, 'limits.conv.rate', /integer from 0/);
  refused({ logLevel: 'loud' as never }, 'logLevel', /one of silent/);
  refused({ openai: { idleTimeoutMs: 1.5 } }, 'openai.idleTimeoutMs', /integer from 10/);
  refused({ openai: { baseUrl: 'ftp://x' } }, 'openai.baseUrl', /http:\/\/ or https:\/\//);
  refused({ host: '0.0.0.0' }, 'token', /required when host \(0\.0\.0\.0\)/);
  refused({ jwt: { secret: 'short' } }, 'jwt.secret', /at least 32 bytes/);
  refused({ tls: { cert: 'x', key: '' } }, 'tls.key', /required when tls.cert is set/);
  refused({ nonsense: 1 } as GatewayOptions, 'nonsense', /a known option/);
  refused({ agent: '/nonexistent/agent.js' }, 'agent', /echo, openai, or the path/);
  refused({ agent: { id: 'x' } as never }, 'agent', /reply\(ctx\)/);
  refused({ opsLog: {} as never }, 'opsLog', /an OpsLog/);
  assert.throws(() => loadConfig({ LANEGATE_OPENAI_IDLE_TIMEOUT_MS: '1.5' }), (e: unknown) => e instanceof ConfigError && e.variable === 'LANEGATE_OPENAI_IDLE_TIMEOUT_MS');
});

test('secrets are never shown: a bad key or token shows a placeholder', () => {
  assert.throws(
    () => resolveConfig({ jwt: { secret: 'short-secret-value' } }),
    (e: unknown) => e instanceof ConfigError && !e.message.includes('short-secret-value') && e.message.includes('[redacted]'),
  );
  assert.throws(
    () => resolveConfig({ agent: 'openai', openai: { apiKey: 7 as never } }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'openai.apiKey' && !e.message.includes('7"'),
  );
});

test('an Agent object, a module path and an injected OpsLog are taken as given', () => {
  const agent = { id: 'mine', name: 'Mine', reply: async () => {} };
  const log = new MemoryOpsLog(10);
  const c = resolveConfig({ agent, opsLog: log });
  assert.deepEqual(c.agents, [{ id: 'main', name: null, kind: 'object', agent }]);
  assert.equal(c.opsLog, log);
  const mod = file('agent.mjs', 'export default () => ({ id: "m", reply: async () => {} });');
  assert.deepEqual(resolveConfig({ agent: mod }).agents[0], { id: 'main', name: null, kind: 'module', module: mod, options: {} });
  assert.equal(isConfig(c), true);
  assert.equal(resolveConfig(c), c, 'a Config passes through unchecked a second time');
});

test('the openai agent needs a key only at OpenAI itself', () => {
  refused({ agent: 'openai' }, 'openai.apiKey', /required for the openai agent at https:\/\/api\.openai\.com/);
  const local = resolveConfig({ agent: 'openai', openai: { baseUrl: 'http://127.0.0.1:8080/v1' } }).agents[0]!;
  assert.equal(local.kind, 'openai');
  assert.equal(local.kind === 'openai' && local.openai.apiKey, null);
  assert.throws(() => loadConfig({ LANEGATE_AGENT: 'openai' }), (e: unknown) => e instanceof ConfigError && e.variable === 'OPENAI_API_KEY');
});

test('the system prompt comes from the variable or a file, not both', () => {
  const p = file('prompt.txt', 'You are terse.');
  assert.equal(loadConfig({ LANEGATE_SYSTEM_PROMPT_FILE: p }).openai.systemPrompt, 'You are terse.');
  assert.equal(loadConfig({ LANEGATE_SYSTEM_PROMPT: 'Be kind.' }).openai.systemPrompt, 'Be kind.');
  assert.throws(() => loadConfig({ LANEGATE_SYSTEM_PROMPT: 'a', LANEGATE_SYSTEM_PROMPT_FILE: p }), (e: unknown) => e instanceof ConfigError && e.variable === 'LANEGATE_SYSTEM_PROMPT_FILE');
  assert.throws(() => loadConfig({ LANEGATE_SYSTEM_PROMPT_FILE: join(dir, 'missing.txt') }), (e: unknown) => e instanceof ConfigError && /readable file/.test(e.message));
});

test('LANEGATE_AGENTS: a JSON list, the default first, module paths relative to the file', () => {
  const mod = file('writer.mjs', 'export default () => ({ id: "w", reply: async () => {} });');
  const path = file(
    'agents.json',
    JSON.stringify({
      agents: [
        { id: 'Echo', name: 'Parrot', echo: true },
        { id: 'writer', module: './writer.mjs', default: true, options: { tone: 'dry' } },
        { id: 'gpt', openai: { baseUrl: 'http://127.0.0.1:9/v1', model: 'small', systemPrompt: 'Be brief.' } },
      ],
    }),
  );
  const c = loadConfig({ LANEGATE_AGENTS: path, LANEGATE_OPENAI_IDLE_TIMEOUT_MS: '1234' });
  assert.deepEqual(
    c.agents.map((a) => [a.id, a.kind]),
    [
      ['writer', 'module'],
      ['echo', 'echo'],
      ['gpt', 'openai'],
    ],
  );
  const w = c.agents[0]!;
  assert.ok(w.kind === 'module' && w.module === mod && w.options.tone === 'dry');
  const g = c.agents[2]!;
  assert.ok(g.kind === 'openai');
  assert.equal(g.openai.model, 'small');
  assert.equal(g.openai.systemPrompt, 'Be brief.');
  assert.equal(g.openai.idleTimeoutMs, 1234, 'entries inherit the top-level openai settings');
  assert.equal(c.agents[1]!.name, 'Parrot');
});

test('LANEGATE_AGENTS errors name the variable and the entry; options errors name the path', () => {
  const cases: [unknown, RegExp][] = [
    ['not json', /a JSON file listing agents/],
    [[], /a non-empty list of agents/],
    [[{ id: 'bad id!', echo: true }], /agents\[0\]\.id: an agent id/],
    [[{ id: 'a', echo: true }, { id: 'A', echo: true }], /agents\[1\]\.id: an id no other agent has/],
    [[{ id: 'a' }], /agents\[0\]: exactly one of/],
    [[{ id: 'a', echo: true, module: './x.mjs' }], /agents\[0\]: exactly one of/],
    [[{ id: 'a', module: './missing.mjs' }], /agents\[0\]\.module: the path of an existing agent module/],
    [[{ id: 'a', echo: true, default: true }, { id: 'b', echo: true, default: true }], /agents\[1\]\.default: true on one agent only/],
    [[{ id: 'a', openai: { maxRetries: 99 } }], /agents\[0\]\.openai\.maxRetries: an integer from 0 to 10/],
    [[{ id: 'a', openai: {} }], /OPENAI_API_KEY/],
  ];
  for (const [body, allowed] of cases) {
    const p = file('bad.json', typeof body === 'string' ? body : JSON.stringify(body));
    assert.throws(
      () => loadConfig({ LANEGATE_AGENTS: p }),
      (e: unknown) => e instanceof ConfigError && (e.variable === 'LANEGATE_AGENTS' || e.variable === 'OPENAI_API_KEY') && allowed.test(e.message) && e.message.includes(p) === (e.variable === 'LANEGATE_AGENTS'),
      String(allowed),
    );
  }
  refused({ agents: [{ id: 'bad id!', echo: true }] }, 'agents[0].id', /an agent id/);
  refused({ agents: [{ id: 'a', agent: {} as never }] }, 'agents[0].agent', /reply\(ctx\)/);
  refused({ agent: 'echo', agents: [{ id: 'a', echo: true }] }, 'agent', /unset when agents declares/);
  assert.throws(() => loadConfig({ LANEGATE_AGENT: 'echo', LANEGATE_AGENTS: file('ok.json', '[{"id":"a","echo":true}]') }), (e: unknown) => e instanceof ConfigError && e.variable === 'LANEGATE_AGENT');
});
