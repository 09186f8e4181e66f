import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// LANEGATE_AGENTS: two agents behind one gateway, routed by session key as
// OpenClaw routes them. The default is the example module agent
// (examples/agents/reverse.ts, loaded by path from the file's directory);
// `agent:parrot:*` goes to the echo agent. agents.list, agent.identity.get,
// models.list and session rows reflect them; an unknown id gets OpenClaw's
// error.

const REVERSE = fileURLToPath(new URL('../../examples/agents/reverse.js', import.meta.url));
let dir: string;
let gw: RunningGateway;
let c: TestClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lanegate-agents-'));
  const file = join(dir, 'agents.json');
  writeFileSync(
    file,
    JSON.stringify({
      agents: [
        { id: 'parrot', name: 'Parrot', echo: true },
        { id: 'rev', name: 'Reverser', module: REVERSE, default: true, options: { suffix: '!' } },
      ],
    }),
  );
  gw = await startGateway({ LANEGATE_AGENTS: file });
  c = await TestClient.connect(gw.convUrl);
});
after(async () => {
  await c?.close();
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const text = (f: Frame): string => f.payload.message.content[0].text;

test('two agents answer differently on their own sessions; a bare key goes to the default', async () => {
  assert.equal(text((await chatOnce(c, 'agent:rev:main', 'one two three', 'r1')).final), 'three two one!');
  assert.equal(text((await chatOnce(c, 'agent:parrot:main', 'one two three', 'r2')).final), 'one two three');
  assert.equal(text((await chatOnce(c, 'agent:PARROT:other', 'abc', 'r3')).final), 'abc', 'ids compare lower-case');
  assert.equal(text((await chatOnce(c, 'scratch', 'left right', 'r4')).final), 'right left!', 'bare key: the default agent');
  assert.equal(c.hello!.payload.snapshot.sessionDefaults.defaultAgentId, 'rev');
  assert.equal(c.hello!.payload.snapshot.sessionDefaults.mainSessionKey, 'agent:rev:main');
});

test('an unknown agent id gets OpenClaw\'s error, on chat.send and agent', async () => {
  const r = await c.request('chat.send', { sessionKey: 'agent:ghost:main', message: 'hi', idempotencyKey: 'g1' });
  assert.deepEqual(r.error, { code: 'INVALID_REQUEST', message: 'Unknown agent id "ghost"' });
  const a = await c.request('agent', { message: 'hi', idempotencyKey: 'g2', agentId: 'ghost' });
  assert.deepEqual(a.error, { code: 'INVALID_REQUEST', message: 'Unknown agent id "ghost"' });
  const m = await c.request('agent', { message: 'hi', idempotencyKey: 'g3', agentId: 'parrot', sessionKey: 'agent:rev:main' });
  assert.deepEqual(m.error, { code: 'INVALID_REQUEST', message: 'agent "parrot" does not match session key agent "rev"' });
  assert.equal(c.frames.filter((f) => f.event === 'chat' && ['g1', 'g2', 'g3'].includes(f.payload.runId)).length, 0, 'no run started');
});

test('the agent method runs on the named agent\'s main session', async () => {
  const accepted = await c.request('agent', { message: 'x y', idempotencyKey: 'ag1', agentId: 'parrot' });
  assert.equal(accepted.payload.agentId, 'parrot');
  assert.equal(accepted.payload.sessionKey, 'agent:parrot:main');
  const final = await c.waitFor((f) => f.type === 'res' && f.id === accepted.id && f.payload?.status === 'ok');
  assert.equal(final.payload.result.payloads[0].text, 'x y');
});

test('agents.list, agent.identity.get, models.list and session rows reflect both agents', async () => {
  const list = (await c.request('agents.list', {})).payload;
  assert.equal(list.defaultId, 'rev');
  assert.deepEqual(
    list.agents.map((a: { id: string; name: string }) => [a.id, a.name]),
    [
      ['rev', 'Reverser'],
      ['parrot', 'Parrot'],
    ],
  );
  assert.deepEqual((await c.request('agent.identity.get', { agentId: 'parrot' })).payload, { agentId: 'parrot', name: 'Parrot', nameSource: 'config' });
  assert.equal((await c.request('agent.identity.get', { sessionKey: 'scratch' })).payload.agentId, 'rev');
  assert.equal((await c.request('agent.identity.get', { agentId: 'ghost' })).error!.message, 'Unknown agent id "ghost"');
  const models = (await c.request('models.list', {})).payload.models.map((m: { id: string }) => m.id).sort();
  assert.deepEqual(models, ['echo', 'reverse']);
  assert.deepEqual((await c.request('models.list', { agentId: 'parrot' })).payload.models.map((m: { id: string }) => m.id), ['echo']);
  const rows = (await c.request('sessions.list', {})).payload.sessions as { key: string; agentId: string }[];
  const owner = Object.fromEntries(rows.map((r) => [r.key, r.agentId]));
  assert.equal(owner['agent:rev:main'], 'rev');
  assert.equal(owner['agent:parrot:main'], 'parrot');
  assert.equal(owner.scratch, 'rev');
  const cmds = (await c.request('commands.list', { agentId: 'rev' })).payload.commands.map((x: { name: string }) => x.name);
  assert.deepEqual(cmds, ['note']);
});

test('a module agent delivers an ops event through ctx.deliver', async () => {
  const sub = await c.request('ops.subscribe', { sessionKey: 'agent:rev:notes' });
  assert.equal(sub.ok, true);
  const event = c.waitFor((f) => f.event === 'ops' && f.payload.sessionKey === 'agent:rev:notes');
  const { final } = await chatOnce(c, 'agent:rev:notes', '/note remember the milk', 'n1');
  const e = await event;
  assert.equal(text(final), `noted as ops event ${e.payload.seq}`);
  assert.deepEqual(
    { lane: e.payload.lane, kind: e.payload.kind, payload: e.payload.payload, key: e.payload.idempotencyKey },
    { lane: 'subagent', kind: 'note', payload: { text: 'remember the milk' }, key: 'n1:agent:1' },
  );
});
