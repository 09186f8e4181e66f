import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import { FakeModel } from '../helpers/fake-model.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// The model spawns a sub-agent: the local server scripts a tool call
// (streamed in pieces, as OpenAI does) to the task `add` of
// LANEGATE_TASKS_DIR; the agent runs it on the task pool, its result goes
// back to the model as the `tool` message and, as every sub-agent result,
// through the ops lane to subscribers; the model's answer ends the run.
// While the tool runs (held on a gate file), a chat on another session is
// answered.

const TASKS = fileURLToPath(new URL('../fixtures/tool-tasks/', import.meta.url));
let dir: string;
let model: FakeModel;
let gw: RunningGateway;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lanegate-tools-'));
  model = await FakeModel.start((r, res) => {
    const last = r.body.messages.at(-1)!;
    if (last.role === 'tool') return res.text('The sum is ', String(JSON.parse(last.content!).sum));
    const msg = FakeModel.lastUser(r);
    if (!msg.startsWith('add')) return res.text('You said: ', msg);
    res.chunk({ role: 'assistant', content: 'Adding. ' });
    res.chunk({ tool_calls: [{ index: 0, id: 'call_add', type: 'function', function: { name: 'add', arguments: `{"a": 2, "b": 40, ` } }] });
    res.chunk({ tool_calls: [{ index: 0, function: { arguments: `"gate": ${JSON.stringify(join(dir, 'open'))}}` } }] });
    res.done('tool_calls');
  });
  gw = await startGateway({
    LANEGATE_AGENT: 'openai',
    LANEGATE_OPENAI_BASE_URL: model.baseUrl,
    LANEGATE_OPENAI_MODEL: 'fake-tools',
    LANEGATE_TASKS_DIR: TASKS,
    LANEGATE_OPS_PORT: '0',
  });
});
after(async () => {
  await gw?.stop();
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a tool call runs the task; its result reaches the model and the ops lane; chat stays answered meanwhile', { timeout: 60_000 }, async (t) => {
  const ops = await TestClient.connect(gw.opsUrl!);
  // Tasks from LANEGATE_TASKS_DIR come with the runtime's task API (issue 11; tasks.list is its method):
  // until a gateway has it, there is nothing to offer the model, and this test says so instead of passing.
  const probe = await TestClient.connect(gw.convUrl);
  const hasTasks = (probe.hello!.payload.features.methods as string[]).includes('tasks.list');
  await probe.close();
  if (!hasTasks) {
    await ops.close();
    return t.skip('the runtime task API (LANEGATE_TASKS_DIR, ctx.spawn) is not in this build');
  }
  assert.equal((await ops.request('ops.subscribe', { sessionKey: 'agent:main:tools', lanes: ['subagent'] })).ok, true);
  const result = ops.waitFor((f) => f.event === 'ops' && f.payload.kind === 'subagent.result', 40_000);
  const chat = await TestClient.connect(gw.convUrl);
  const final = chat.waitFor((f) => f.event === 'chat' && f.payload.runId === 'tool-run' && f.payload.state !== 'delta', 40_000);
  await chat.request('chat.send', { sessionKey: 'agent:main:tools', message: 'add 2 and 40', idempotencyKey: 'tool-run' });

  // The model asked for the tool; the task now waits on its gate. Another session is answered meanwhile.
  const first = await model.request(1);
  assert.deepEqual(first.body.tools?.map((t) => t.function.name).sort(), ['add', 'cpu'], 'the tasks of LANEGATE_TASKS_DIR and the built-in cpu');
  const other = await chatOnce(chat, 'agent:main:other', 'still there?', 'other-run', 20_000);
  assert.equal(other.final.payload.message.content[0].text, 'You said: still there?');
  assert.equal(model.requests.filter((r) => r.body.messages.at(-1)!.role === 'tool').length, 0, 'the tool had not finished');

  writeFileSync(join(dir, 'open'), '');
  const done: Frame = await final;
  assert.equal(done.payload.state, 'final');
  assert.equal(done.payload.message.content[0].text, 'Adding. The sum is 42');
  const second = model.requests.find((r) => r.body.messages.at(-1)!.role === 'tool')!;
  assert.deepEqual(second.body.messages.slice(-2).map((m) => m.role), ['assistant', 'tool']);
  assert.equal(second.body.messages.at(-1)!.tool_call_id, 'call_add');
  assert.deepEqual(JSON.parse(second.body.messages.at(-1)!.content!), { sum: 42 });
  const e = await result;
  assert.equal(e.payload.lane, 'subagent');
  assert.equal(e.payload.sessionKey, 'agent:main:tools');
  await Promise.all([chat.close(), ops.close()]);
});
