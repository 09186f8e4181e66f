import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createOpenAIAgent } from '../../src/agents/openai/agent.js';
import type { AgentContext } from '../../src/agents/types.js';
import { resolveConfig } from '../../src/config.js';
import { FakeModel } from '../helpers/fake-model.js';

// The model asks for a tool through OpenAI tool_calls (streamed in pieces,
// as OpenAI does); the agent runs it as a sub-agent task through ctx.spawn
// and sends the result back as the `tool` message; the model then answers.
// The host here stands in for the runtime's spawn (tested end to end with
// the real task pool in test/integration/openai-tools.test.ts).

let model: FakeModel;
before(async () => {
  model = await FakeModel.start((r, res) => {
    const last = r.body.messages.at(-1)!;
    if (last.role === 'tool') return res.text('The sum is ', JSON.parse(last.content!).sum);
    res.chunk({ role: 'assistant', content: 'Let me add. ' });
    res.chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'math_add', arguments: '{"a": 2,' } }] });
    res.chunk({ tool_calls: [{ index: 0, function: { arguments: ' "b": 40}' } }] });
    res.done('tool_calls');
  });
});
after(() => model.close());

test('a tool call runs the task and its result goes back to the model as the tool message', async () => {
  const cfg = resolveConfig({ agent: 'openai', openai: { baseUrl: model.baseUrl, model: 'm' } }).openai;
  const agent = createOpenAIAgent(cfg);
  const spawned: unknown[] = [];
  let text = '';
  const ctx = {
    runId: 'r1',
    agentId: 'main',
    sessionKey: 's',
    message: 'add 2 and 40',
    history: [],
    signal: new AbortController().signal,
    delta: (t: string) => (text += t),
    spawn: (req: unknown) => {
      spawned.push(req);
      const { a, b } = (req as { input: { a: number; b: number } }).input;
      return { taskId: 't1', done: Promise.resolve({ status: 'completed', resultJson: JSON.stringify({ sum: a + b }), error: null }) };
    },
    tasks: [{ name: 'math/add', description: 'Adds two numbers', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } }],
    deliver: async () => ({ seq: 1, duplicate: false }),
  } as unknown as AgentContext;
  await agent.reply(ctx);
  assert.equal(text, 'Let me add. The sum is 42');
  assert.deepEqual(spawned, [{ task: 'math/add', input: { a: 2, b: 40 }, label: 'tool math_add' }]);
  const [first, second] = model.requests;
  assert.deepEqual(first!.body.tools, [
    { type: 'function', function: { name: 'math_add', description: 'Adds two numbers', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } } },
  ]);
  assert.deepEqual(second!.body.messages.slice(-2), [
    { role: 'assistant', content: 'Let me add. ', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'math_add', arguments: '{"a": 2, "b": 40}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '{"sum":42}' },
  ]);
});

test('tool errors go back to the model as the tool message: unknown tool, bad JSON, a refused spawn, a failed task', async () => {
  const { toolSet, ToolCallAccumulator } = await import('../../src/agents/openai/tools.js');
  let mode = 'ok';
  const set = toolSet({
    tasks: [{ name: 'a/b', description: '' }, { name: 'a_b', description: 'same safe name: the first wins' }],
    spawn: () => {
      if (mode === 'refuse') throw new Error('task queue is full');
      return { done: Promise.resolve(mode === 'fail' ? { status: 'timed_out', resultJson: null, error: 'timed out after 10 ms' } : { status: 'completed', resultJson: '7', error: null }) };
    },
  });
  assert.deepEqual(set.tools!.map((t) => [t.function.name, t.function.description, t.function.parameters]), [['a_b', 'Runs the sub-agent task a/b', { type: 'object' }]]);
  const content = async (name: string, args: string): Promise<unknown> => JSON.parse(((await set.run({ id: 'c', name, arguments: args })) as { content: string }).content);
  assert.equal(await content('a_b', ''), 7, 'empty arguments are {}');
  assert.deepEqual(await content('nope', '{}'), { error: 'no tool named nope' });
  assert.deepEqual(await content('a_b', '{oops'), { error: 'the arguments were not valid JSON' });
  mode = 'refuse';
  assert.deepEqual(await content('a_b', '{}'), { error: 'task queue is full' });
  mode = 'fail';
  assert.deepEqual(await content('a_b', '{}'), { error: 'timed out after 10 ms', status: 'timed_out' });
  assert.equal(toolSet({}).tools, undefined, 'no tasks: no tools offered');

  const acc = new ToolCallAccumulator();
  acc.add([{ index: 1, function: { name: 'x', arguments: '{"q":' } }, { index: 0, id: 'k0', function: { name: 'y', arguments: '{}' } }]);
  acc.add([{ index: 1, function: { arguments: '1}' } }]);
  assert.deepEqual(acc.calls(), [
    { id: 'k0', name: 'y', arguments: '{}' },
    { id: 'call_1', name: 'x', arguments: '{"q":1}' },
  ]);
});
