import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// Conformance: drives every method hello-ok advertises and every event the
// conv port sends, and checks that each frame received validates against
// OpenClaw's protocol.schema.json. (TestClient checks each frame as it
// arrives and fails on the first invalid one; these tests make sure every
// kind of frame was actually produced and checked.)
//
// Single-port mode, so the ops methods are on the conv port too; a scripted
// agent produces every run outcome (final, aborted, error) without timing.

const AGENT = fileURLToPath(new URL('../fixtures/script-agent.js', import.meta.url));
const TOKEN = 'schema-token';
const KEY = 'agent:main:main';

let gw: RunningGateway;
let main: TestClient;
let watcher: TestClient;
/** Methods called on `main` (the coverage check at the end compares them with hello-ok). */
const called = new Set<string>();

async function call(method: string, params?: unknown): Promise<Frame> {
  called.add(method);
  const res = await main.request(method, params);
  assert.equal(res.ok, true, `${method}: ${JSON.stringify(res.error)}`);
  return res;
}

/** Runs chat.send and resolves with its terminal chat event. */
async function chat(message: string, runId: string): Promise<Frame> {
  const end = main.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state !== 'delta');
  const ack = await call('chat.send', { sessionKey: KEY, message, idempotencyKey: runId, deliver: false });
  assert.deepEqual(ack.payload, { runId, status: 'started' });
  return end;
}

before(async () => {
  gw = await startGateway({ LANEGATE_AGENT: AGENT, LANEGATE_TOKEN: TOKEN, LANEGATE_TICK_INTERVAL_MS: '100' });
  // Connect the way the TUI does (admin/read/write/approvals, a device block, caps), plus
  // the ops scopes so this one connection can call every advertised method.
  main = await TestClient.connect(gw.convUrl, {
    token: TOKEN,
    clientId: 'openclaw-tui',
    mode: 'ui',
    scopes: ['operator.admin', 'operator.read', 'operator.write', 'operator.approvals', 'ops.read', 'ops.write'],
    extra: {
      caps: ['agent-kind', 'plugin-approvals', 'task-suggestions', 'tool-events'],
      device: { id: 'a'.repeat(64), publicKey: 'cHVibGlj', signature: 'c2ln', signedAt: Date.now(), nonce: 'not-checked' },
    },
  });
  watcher = await TestClient.connect(gw.convUrl, { token: TOKEN });
  await watcher.request('sessions.subscribe', {});
});
after(async () => {
  if (gw.proc.exitCode === null) await gw.stop();
});

test('hello-ok validates (HelloOk), grants read+write for an admin request, and issues no deviceToken', async () => {
  const p = main.hello!.payload;
  assert.equal(p.protocol, 4);
  assert.deepEqual([...p.auth.scopes].sort(), ['operator.read', 'operator.write', 'ops.read', 'ops.write']);
  const tui = await TestClient.connect(gw.convUrl, { token: TOKEN, scopes: ['operator.admin', 'operator.read', 'operator.write', 'operator.approvals'] });
  assert.deepEqual([...tui.hello!.payload.auth.scopes].sort(), ['operator.read', 'operator.write']);
  await tui.close();
  assert.equal('deviceToken' in p.auth, false);
  assert.equal(p.features.events.includes('sessions.changed'), false, 'only events the gateway really sends');
});

test('chat.send streams delta events then final; agent events ride along', async () => {
  const final = await chat('conformance', 'sc-final');
  assert.equal(final.payload.state, 'final');
  assert.equal(final.payload.message.content[0].text, 'conformance');
  const deltas = main.frames.filter((f) => f.event === 'chat' && f.payload.runId === 'sc-final' && f.payload.state === 'delta');
  assert.deepEqual(
    deltas.map((f) => f.payload.deltaText),
    ['confor', 'conformance'],
  );
  const agent = main.frames.filter((f) => f.event === 'agent' && f.payload.runId === 'sc-final');
  assert.deepEqual(
    agent.map((f) => `${f.payload.stream}:${f.payload.data.phase ?? f.payload.data.delta}`),
    ['lifecycle:start', 'assistant:confor', 'assistant:mance', 'lifecycle:end'],
  );
  await watcher.waitFor((f) => f.event === 'chat' && f.payload.runId === 'sc-final' && f.payload.state === 'final');
});

test('chat.abort (with preserveSideRuns) ends a held run with state aborted', async () => {
  const end = main.waitFor((f) => f.event === 'chat' && f.payload.runId === 'sc-abort' && f.payload.state !== 'delta');
  const delta = main.waitFor((f) => f.event === 'chat' && f.payload.runId === 'sc-abort' && f.payload.state === 'delta');
  await call('chat.send', { sessionKey: KEY, message: '/hold on', idempotencyKey: 'sc-abort' });
  await delta;
  const a = await call('chat.abort', { sessionKey: KEY, preserveSideRuns: true });
  assert.deepEqual(a.payload, { ok: true, aborted: true, runIds: ['sc-abort'] });
  assert.equal((await end).payload.state, 'aborted');
});

test('a failing agent ends the run with state error and a lifecycle error', async () => {
  const end = await chat('/fail now', 'sc-error');
  assert.equal(end.payload.state, 'error');
  assert.match(end.payload.errorMessage, /scripted failure/);
  await main.waitFor((f) => f.event === 'agent' && f.payload.runId === 'sc-error' && f.payload.data.phase === 'error');
});

test('agent answers twice (accepted, then final) and agent.wait reports the end', async () => {
  called.add('agent');
  const id = main.nextId();
  const accepted = await main.requestWithId(id, 'agent', { message: 'two phases', agentId: 'main', idempotencyKey: 'sc-agent', deliver: false, timeout: 600 });
  assert.equal(accepted.payload.status, 'accepted');
  const final = await main.waitFor((f) => f.type === 'res' && f.id === id && f.payload?.status !== 'accepted');
  assert.equal(final.payload.result.payloads[0].text, 'two phases');
  const waited = await call('agent.wait', { runId: 'sc-agent', timeoutMs: 1000 });
  assert.equal(waited.payload.status, 'ok');
});

test('the TUI start-up calls and session reads validate', async () => {
  assert.deepEqual((await call('sessions.subscribe', {})).payload, { subscribed: true });
  const withList = await call('sessions.subscribe', { limit: 1 });
  assert.equal(withList.payload.list.sessions.length, 1);
  const agents = await call('agents.list', {});
  assert.equal(agents.payload.defaultId, 'main');
  assert.equal(`agent:${agents.payload.defaultId}:${agents.payload.mainKey}`, KEY);
  assert.deepEqual((await call('question.list', {})).payload, { questions: [] });
  assert.deepEqual((await call('plugin.approval.list', {})).payload, []);
  assert.deepEqual((await call('exec.approval.list', {})).payload, []);
  const history = await call('chat.history', { sessionKey: KEY, limit: 200 });
  assert.equal(history.payload.sessionInfo.key, KEY);
  assert.ok(history.payload.messages.length >= 2);
  const cmds = await call('commands.list', { agentId: 'main', scope: 'text', includeArgs: false });
  assert.deepEqual(
    cmds.payload.commands.map((c: { name: string }) => c.name),
    ['hold', 'fail', 'history'],
  );
  const described = await call('sessions.describe', { key: KEY, agentId: 'main' });
  assert.equal(described.payload.session.key, KEY);
  assert.equal((await call('sessions.describe', { key: 'agent:main:nobody' })).payload.session, null);
  const listed = await call('sessions.list', { agentId: 'main', limit: 1 });
  assert.equal(listed.payload.sessions.length, 1);
  assert.equal(listed.payload.defaults.modelProvider, 'lanegate');
  assert.equal((await call('models.list', {})).payload.models.length, 1);
  assert.deepEqual((await call('agent.identity.get', { sessionKey: KEY })).payload, { agentId: 'main', name: 'Script', nameSource: 'config' });
  const health = await call('health', {});
  assert.equal(health.payload.ok, true);
  called.add('status');
  const status = await main.request('status'); // no params at all, as the TUI sends it
  assert.equal(status.ok, true);
  assert.equal(typeof status.payload.runtimeVersion, 'string');
  assert.deepEqual((await call('sessions.unsubscribe', {})).payload, { subscribed: false });
});

test('ops methods and ops events (single-port mode) validate', async () => {
  const sub = await call('ops.subscribe', { sessionKey: 'sc-ops' });
  assert.equal(sub.payload.subscribed, true);
  const event = main.waitFor((f) => f.event === 'ops' && f.payload.sessionKey === 'sc-ops');
  const d = await call('ops.deliver', { lane: 'cron', sessionKey: 'sc-ops', idempotencyKey: 'sc-ops-1', kind: 'cron.done', payload: { ok: true } });
  assert.equal(d.payload.accepted, true);
  assert.equal((await event).payload.seq, d.payload.seq);
  assert.equal((await call('ops.unsubscribe', {})).payload.subscribed, false);
});

test('error answers validate: unknown method, bad params, unknown agent, missing scope, refused connects', async () => {
  const unknown = await main.request('sessions.patch', { key: KEY });
  assert.deepEqual(unknown.error, { code: 'INVALID_REQUEST', message: 'unknown method: sessions.patch' });
  const bad = await main.request('chat.send', { sessionKey: KEY });
  assert.equal(bad.error!.code, 'INVALID_REQUEST');
  assert.match(bad.error!.message, /^invalid chat\.send params: /);
  const agent = await main.request('agent', { message: 'x', idempotencyKey: 'sc-x', agentId: 'ghost' });
  assert.deepEqual(agent.error, { code: 'INVALID_REQUEST', message: 'Unknown agent id "ghost"' });
  const routed = await main.request('chat.send', { sessionKey: 'agent:ghost:main', message: 'x', idempotencyKey: 'sc-ghost' });
  assert.deepEqual(routed.error, { code: 'INVALID_REQUEST', message: 'Unknown agent id "ghost"' });

  const reader = await TestClient.connect(gw.convUrl, { token: TOKEN, scopes: ['operator.read'] });
  const forbidden = await reader.request('chat.send', { sessionKey: KEY, message: 'x', idempotencyKey: 'sc-forbidden' });
  assert.equal(forbidden.error!.code, 'FORBIDDEN');
  assert.equal(forbidden.error!.details.code, 'MISSING_SCOPE');
  await reader.close();

  // Write implies read, as in OpenClaw: a write-only CLI connection may read.
  const writer = await TestClient.connect(gw.convUrl, { token: TOKEN, scopes: ['operator.write'] });
  assert.equal((await writer.request('chat.history', { sessionKey: KEY })).ok, true);
  await writer.close();

  for (const [auth, code] of [
    [{ token: 'wrong' }, 'AUTH_TOKEN_MISMATCH'],
    [{}, 'AUTH_REQUIRED'],
  ] as const) {
    const e = await TestClient.connect(gw.convUrl, auth).then(
      () => assert.fail('connect should be refused'),
      (err: { frame: Frame; client: TestClient }) => err,
    );
    assert.equal(e.frame.error!.details.code, code);
    assert.equal((await e.client.close()).code, 1008);
  }
});

test('tick events validate', async () => {
  const t = await main.waitFor((f) => f.event === 'tick', 5000, false);
  assert.equal(typeof t.payload.ts, 'number');
});

test('every advertised method was called, every event seen, every frame checked', () => {
  const hello = main.hello!.payload;
  assert.deepEqual([...called].sort(), [...hello.features.methods].sort(), 'this test drives exactly the advertised methods');
  const seen = new Set(main.frames.filter((f) => f.type === 'event').map((f) => f.event));
  for (const e of hello.features.events) if (e !== 'shutdown') assert.ok(seen.has(e), `event ${e} was produced`);
  for (const c of [main, watcher]) {
    assert.equal(c.violation, null);
    assert.equal(c.validated, c.frames.length);
  }
});

test('shutdown event validates and the socket closes 1012', async () => {
  const shutdown = main.waitFor((f) => f.event === 'shutdown', 10_000, false);
  const stopped = gw.stop();
  assert.equal((await shutdown).payload.reason.length > 0, true);
  assert.equal((await main.closed).code, 1012);
  assert.equal((await stopped).code, 0);
  await Promise.all([main.close(), watcher.close()]);
});
