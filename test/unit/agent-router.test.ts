import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentRouter, parseAgentKey, routed } from '../../src/agents/router.js';
import type { Agent } from '../../src/agents/types.js';

// Session keys route as OpenClaw's do: `agent:<id>:<rest>` to agent <id>
// (ids compare lower-case), any other key to the default agent; an unknown
// id, a malformed key, or an agentId param that contradicts the key get
// OpenClaw's own INVALID_REQUEST wording.

const agent = (id: string): Agent => ({ id, name: id.toUpperCase(), reply: async () => {} });
const router = new AgentRouter([routed('writer', 'Writer', agent('w')), routed('coder', null, agent('c'))]);

test('keys parse as OpenClaw splits them', () => {
  assert.deepEqual(parseAgentKey('agent:coder:main'), { agentId: 'coder', rest: 'main' });
  assert.deepEqual(parseAgentKey('AGENT:Coder:a:b'), { agentId: 'Coder', rest: 'a:b' });
  assert.equal(parseAgentKey('main'), null);
  assert.equal(parseAgentKey('agent:coder'), 'malformed');
  assert.equal(parseAgentKey('agent::main'), 'malformed');
  assert.equal(parseAgentKey('agent:coder::x'), 'malformed');
});

test('prefixed keys go to their agent, bare keys to the default (the first)', () => {
  const id = (key: string, agentId?: string): string => {
    const r = router.route(key, agentId);
    assert.ok(r.ok, key);
    return r.agent.id;
  };
  assert.equal(router.default.id, 'writer');
  assert.equal(id('agent:coder:main'), 'coder');
  assert.equal(id('agent:CODER:x'), 'coder');
  assert.equal(id('agent:writer:main'), 'writer');
  assert.equal(id('main'), 'writer');
  assert.equal(id('whatever'), 'writer');
  assert.equal(id('main', 'coder'), 'coder', 'agentId picks the agent of a bare key');
  assert.equal(id('agent:coder:main', 'coder'), 'coder');
});

test('unknown ids, malformed keys and contradicting agentIds get OpenClaw errors', () => {
  const error = (key: string, agentId?: string): unknown => {
    const r = router.route(key, agentId);
    assert.ok(!r.ok, key);
    return r.error;
  };
  assert.deepEqual(error('agent:main:main'), { code: 'INVALID_REQUEST', message: 'Unknown agent id "main"' });
  assert.deepEqual(error('main', 'ghost'), { code: 'INVALID_REQUEST', message: 'Unknown agent id "ghost"' });
  assert.deepEqual(error('agent:x'), { code: 'INVALID_REQUEST', message: 'malformed session key "agent:x"' });
  assert.deepEqual(error('agent:coder:main', 'writer'), { code: 'INVALID_REQUEST', message: 'agent "writer" does not match session key agent "coder"' });
});

test('names and models: configured name, else the agent\'s own; model defaults to lanegate/<agent id>', () => {
  assert.equal(router.get('writer')!.name, 'Writer');
  assert.equal(router.get('coder')!.name, 'C');
  assert.deepEqual(router.get('coder')!.model, { provider: 'lanegate', id: 'c', name: 'c', contextWindow: 200_000 });
  const m = routed('x', null, { ...agent('x'), model: { provider: 'openai', id: 'gpt-x' } });
  assert.deepEqual(m.model, { provider: 'openai', id: 'gpt-x', name: 'gpt-x', contextWindow: 200_000 });
});
