import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gateway } from '../../src/gateway.js';
import { ConfigError, ErrorCodes, LanegateError } from '../../src/errors.js';
import { MemoryOpsLog } from '../../src/state/memory-ops-log.js';
import { chatOnce, TestClient } from '../helpers/client.js';

// The library in process: options checked by the one validator, an
// injected OpsLog used as given, deliver() through the ops lane with
// idempotency, argument errors coded, and the typed events in order.

test('bad options throw ConfigError naming the option; nothing starts', () => {
  assert.throws(() => new Gateway({ convPort: -1 }), (e: unknown) => e instanceof ConfigError && e.variable === 'convPort');
  assert.throws(() => new Gateway({ limits: { ops: { burst: 0 } } }), (e: unknown) => e instanceof ConfigError && e.variable === 'limits.ops.burst');
});

test('deliver() before start() rejects with NOT_STARTED', async () => {
  await assert.rejects(new Gateway({ convPort: 0 }).deliver({ sessionKey: 's', kind: 'k', payload: 1 }), (e: unknown) => e instanceof LanegateError && e.code === ErrorCodes.NOT_STARTED);
});

test('an injected ops log, deliver() with idempotency, and the typed events', { timeout: 60_000 }, async () => {
  const log = new MemoryOpsLog(100);
  log.append({ lane: 'system', sessionKey: 'before', kind: 'seed', idempotencyKey: 'seed-1', ts: 1, payloadJson: '{}' });
  const agent = { id: 'mine', name: 'Mine', model: { provider: 'local', id: 'tiny' }, reply: async (ctx: { delta(t: string): void; message: string }) => ctx.delta(`got ${ctx.message}`) };
  const gw = new Gateway({ convPort: 0, agent, opsLog: log, logLevel: 'silent' });
  const events: string[] = [];
  gw.on('connection', (e) => events.push(`connection ${e.lane}`));
  gw.on('disconnect', (e) => events.push(`disconnect ${e.lane}`));
  gw.on('chat', (e) => events.push(`chat ${e.state} ${e.agentId} ${e.text}`));
  gw.on('ops', (e) => events.push(`ops ${e.seq} ${e.lane} ${e.kind}`));
  const info = await gw.start();
  try {
    assert.deepEqual(gw.agents, [{ id: 'main', name: 'Mine', model: 'local/tiny' }]);
    const first = await gw.deliver({ sessionKey: 'agent:main:main', kind: 'report', payload: { n: 1 }, idempotencyKey: 'k1' });
    assert.deepEqual(first, { accepted: true, seq: 2, duplicate: false }, 'numbered after the injected log\'s entry');
    assert.deepEqual(await gw.deliver({ sessionKey: 'agent:main:main', kind: 'report', payload: { n: 1 }, idempotencyKey: 'k1' }), { accepted: true, seq: 2, duplicate: true });
    assert.equal(log.headSeq, 2, 'the injected log holds it');
    for (const bad of [{ lane: 'nope' }, { sessionKey: '' }, { kind: 7 }, { payload: undefined }, { idempotencyKey: '' }]) {
      await assert.rejects(
        gw.deliver({ sessionKey: 's', kind: 'k', payload: 1, ...bad } as never),
        (e: unknown) => e instanceof LanegateError && e.code === ErrorCodes.INVALID_ARGUMENT,
        JSON.stringify(bad),
      );
    }
    const c = await TestClient.connect(info.convUrl);
    const { final } = await chatOnce(c, 'agent:main:main', 'hi', 'lib-1');
    assert.equal(final.payload.message.content[0].text, 'got hi');
    const models = await c.request('models.list', {});
    assert.deepEqual(models.payload.models, [{ id: 'tiny', name: 'tiny', provider: 'local', contextWindow: 200_000 }]);
    const closed = new Promise<void>((resolve) => gw.once('disconnect', () => resolve()));
    await c.close();
    await closed;
  } finally {
    await gw.stop();
  }
  assert.deepEqual(events, ['ops 2 system report', 'connection conv', 'chat delta main got hi', 'chat final main got hi', 'disconnect conv']);
});
