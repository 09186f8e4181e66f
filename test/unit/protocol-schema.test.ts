import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkServerFrame } from '../helpers/schema.js';

// The frame checker every TestClient runs must not be vacuous: frames that
// break protocol.schema.json fail with the ajv errors, good frames pass.

const agentEvent = (extra: Record<string, unknown>) => ({
  type: 'event',
  event: 'agent',
  seq: 1,
  payload: { runId: 'r', seq: 1, stream: 'assistant', ts: 1, data: { text: 'a', delta: 'a' }, ...extra },
});

test('good frames pass', () => {
  assert.equal(checkServerFrame({ type: 'event', event: 'tick', payload: { ts: 5 }, seq: 3 }), null);
  assert.equal(checkServerFrame(agentEvent({ sessionKey: 'agent:main:main' })), null);
  assert.equal(checkServerFrame({ type: 'res', id: 'x', ok: false, error: { code: 'INVALID_REQUEST', message: 'unknown method: a' } }), null);
  assert.equal(checkServerFrame({ type: 'res', id: 'x', ok: true, payload: { questions: [] } }, 'question.list'), null);
});

test('agent events may carry sessionKey (the one known drift) but nothing else extra', () => {
  assert.match(checkServerFrame(agentEvent({ agentId: 'main' }))!, /additionalProperty.*agentId/);
});

test('payloads are checked by event name and by the method a res answers', () => {
  assert.match(checkServerFrame({ type: 'event', event: 'chat', payload: { runId: 'r', sessionKey: 'k', seq: 1, state: 'delta' } })!, /deltaText/);
  const cmd = { name: 'x', description: '', source: 'agent', scope: 'text', acceptsArgs: false };
  assert.match(checkServerFrame({ type: 'res', id: '1', ok: true, payload: { commands: [cmd] } }, 'commands.list')!, /source/);
  assert.match(checkServerFrame({ type: 'res', id: '1', ok: true, payload: { type: 'hello-ok' } }, 'connect')!, /HelloOk|protocol|required/);
});

test('frame shape, empty error messages and unknown events fail', () => {
  assert.match(checkServerFrame({ type: 'res', id: '1', ok: false, error: { code: 'X', message: '' } })!, /fewer than 1/);
  assert.match(checkServerFrame({ type: 'event', event: 'tick', payload: { ts: 1 }, extra: 1 })!, /additional/);
  assert.match(checkServerFrame({ type: 'event', event: 'sessions.changed', payload: {} })!, /no payload schema/);
});
