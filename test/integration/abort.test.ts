import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// With an agent module that holds every run open until aborted (loaded
// through LANEGATE_AGENT), chat.abort is deterministic.

const AGENT = fileURLToPath(new URL('../fixtures/hold-agent.js', import.meta.url));
let gw: RunningGateway;
before(async () => {
  gw = await startGateway({ LANEGATE_AGENT: AGENT });
});
after(async () => {
  await gw.stop();
});

test('chat.abort ends the run with state aborted and reports its runId', async () => {
  const c = await TestClient.connect(gw.convUrl);
  const delta = c.waitFor((f) => f.event === 'chat' && f.payload.runId === 'held' && f.payload.state === 'delta');
  const ended = c.waitFor((f) => f.event === 'chat' && f.payload.runId === 'held' && f.payload.state !== 'delta');
  await c.request('chat.send', { sessionKey: 'abortable', message: 'wait for me', idempotencyKey: 'held' });
  assert.equal((await delta).payload.deltaText, 'holding: wait for me');
  const dup = await c.request('chat.send', { sessionKey: 'abortable', message: 'wait for me', idempotencyKey: 'held' });
  assert.deepEqual(dup.payload, { runId: 'held', status: 'in_flight' });
  const a = await c.request('chat.abort', { sessionKey: 'abortable' });
  assert.deepEqual(a.payload, { ok: true, aborted: true, runIds: ['held'] });
  assert.equal((await ended).payload.state, 'aborted');
  const again = await c.request('chat.abort', { sessionKey: 'abortable' });
  assert.equal(again.payload.aborted, false, 'nothing left to abort');
  await c.close();
});

test('an agent run aborted mid-way answers its final res with status timeout / aborted', async () => {
  const c = await TestClient.connect(gw.convUrl);
  const id = c.nextId();
  const accepted = await c.requestWithId(id, 'agent', { message: 'hold on', idempotencyKey: 'held-agent', sessionKey: 'agent-abort' }, 5000);
  assert.equal(accepted.payload.status, 'accepted');
  const final = c.waitFor((f) => f.type === 'res' && f.id === id && f.payload?.status !== 'accepted');
  await c.request('chat.abort', { sessionKey: 'agent-abort', runId: 'held-agent' });
  const f = await final;
  assert.equal(f.payload.status, 'timeout');
  assert.equal(f.payload.summary, 'aborted');
  await c.close();
});
