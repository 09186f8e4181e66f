import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// `/spawn N ms` starts N sub-agent tasks on the piscina pool; each result
// enters the runtime on the ops lane and reaches ops subscribers, while
// further chats on the same connection keep getting their finals.

let gw: RunningGateway;
before(async () => {
  gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_TASK_THREADS: '2' });
});
after(async () => {
  await gw.stop();
});

test('/spawn 20 50 delivers 20 sub-agent results while chats keep flowing', { timeout: 60_000 }, async () => {
  const ops = await TestClient.connect(gw.opsUrl!);
  const results: Frame[] = [];
  let allIn: () => void = () => {};
  const twenty = new Promise<void>((r) => (allIn = r));
  ops.onEvent = (f) => {
    if (f.event === 'ops' && f.payload.kind === 'subagent.result') {
      results.push(f);
      if (results.length === 20) allIn();
    }
  };
  assert.equal((await ops.request('ops.subscribe', { sessionKey: 'agent:main:main', lanes: ['subagent'] })).ok, true);

  const chat = await TestClient.connect(gw.convUrl);
  const { ack, final } = await chatOnce(chat, 'agent:main:main', '/spawn 20 50', 'spawn-run');
  assert.equal(ack.payload.status, 'started');
  assert.match(final.payload.message.content[0].text, /Spawned 20 sub-agents/);

  // Chats sent while the sub-agents run each get their final.
  let finals = 0;
  while (results.length < 20 && finals < 200) {
    const { final: f } = await chatOnce(chat, 'agent:main:main', `ping ${finals}`, `during-${finals}`);
    assert.equal(f.payload.state, 'final');
    finals++;
  }
  await twenty;
  assert.ok(finals > 0, 'at least one chat completed while results arrived');
  const idx = results.map((f) => f.payload.payload.index).sort((a: number, b: number) => a - b);
  assert.deepEqual(idx, Array.from({ length: 20 }, (_, i) => i + 1), 'each of the 20 results exactly once');
  for (const f of results) {
    assert.equal(f.payload.lane, 'subagent');
    assert.equal(f.payload.payload.runId, 'spawn-run');
    assert.ok(f.payload.payload.elapsedMs >= 50, 'the task did its work');
  }
  const seqs = results.map((f) => f.payload.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in seq order');
  await Promise.all([chat.close(), ops.close()]);
});
