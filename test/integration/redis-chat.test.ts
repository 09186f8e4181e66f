import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import { runGatewayExpectExit, startGateway, type RunningGateway } from '../helpers/gateway-process.js';
import { haveRedisServer, TestRedis } from '../helpers/redis-server.js';

// Chat across instances on one Redis: one transcript, live events on both,
// turns of a session run on one instance at a time, and chats answered
// while Redis is away.

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';
const TOKEN = 'redis-chat-token';
const texts = (h: Frame): string[] => h.payload.messages.map((m: { content: { text: string }[] }) => m.content[0]!.text);
const seqs = (h: Frame): number[] => h.payload.messages.map((m: { seq: number }) => m.seq);

describe('chat across gateway instances on one Redis', { skip }, () => {
  let redis: TestRedis;
  const gateways: RunningGateway[] = [];
  const clients: TestClient[] = [];
  before(async () => {
    redis = await TestRedis.start({ aof: true });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const g of gateways) await g.stop();
    await redis.close();
  });
  const gateway = async (env: Record<string, string> = {}): Promise<RunningGateway> => {
    const g = await startGateway({ LANEGATE_TOKEN: TOKEN, LANEGATE_REDIS_URL: redis.url, LANEGATE_REDIS_PREFIX: 'chat-it:', ...env });
    gateways.push(g);
    return g;
  };
  const client = async (g: RunningGateway): Promise<TestClient> => {
    const c = await TestClient.connect(g.convUrl, { token: TOKEN });
    clients.push(c);
    return c;
  };

  test('webchat on one instance, TUI on another: one transcript, the run seen live on both, turns from either side in one order', async () => {
    const [g1, g2] = [await gateway(), await gateway()];
    const web = await client(g1);
    const tui = await client(g2);
    await tui.request('sessions.subscribe', {});
    const key = 'agent:main:shared';

    const { final } = await chatOnce(web, key, 'hello from the webchat', 'w1');
    assert.equal(final.payload.state, 'final');
    // The TUI on the other instance watches every session: it saw the run live.
    const seen = await tui.waitFor((f) => f.event === 'chat' && f.payload?.runId === 'w1' && f.payload?.state === 'final');
    assert.equal(seen.payload.message.content[0].text, final.payload.message.content[0].text);
    await tui.waitFor((f) => f.event === 'agent' && f.payload?.runId === 'w1' && f.payload?.data?.phase === 'end');

    // The TUI's instance had never served the session: chat.history reads it from Redis.
    const h2 = await waitHistory(tui, key, 2);
    assert.deepEqual(seqs(h2), [1, 2]);
    assert.equal(texts(h2)[0], 'hello from the webchat');

    // A turn from the TUI: its instance takes the session over (the webchat's gives it up) and continues the transcript.
    const { final: f2 } = await chatOnce(tui, key, 'hello from the tui', 't1');
    assert.equal(f2.payload.state, 'final');
    const { final: f3 } = await chatOnce(web, key, 'and back', 'w2');
    assert.equal(f3.payload.state, 'final');
    for (const c of [web, tui]) {
      // The other instance hears the entries a moment after the run's final (written behind, then broadcast).
      const h = await waitHistory(c, key, 6);
      assert.deepEqual(seqs(h), [1, 2, 3, 4, 5, 6], 'one transcript, dense, on both instances');
      assert.deepEqual(texts(h).filter((_, i) => i % 2 === 0), ['hello from the webchat', 'hello from the tui', 'and back']);
    }
  });

  test('Redis away: chats are answered throughout, /readyz says degraded, the transcript lands in Redis once it is back', async () => {
    const g = await gateway();
    const c = await client(g);
    const key = 'agent:main:outage';
    await chatOnce(c, key, 'before', 'o1');
    await redis.stop();
    await waitReady(g, 503, 'degraded');
    assert.match(await metricsText(g), /^lanegate_redis_up 0$/m);
    const { final } = await chatOnce(c, key, 'during', 'o2');
    assert.equal(final.payload.state, 'final', 'answered while Redis is away');
    assert.match(await metricsText(g), /^lanegate_redis_chat_backlog [1-9]/m, 'the transcript writes are held');
    await redis.restart();
    await waitReady(g, 200, 'ready');
    const after = await metricsText(g);
    assert.match(after, /^lanegate_redis_up 1$/m);
    assert.match(after, /^lanegate_redis_reconnects_total [1-9]/m);
    // Another instance started after the outage reads the whole transcript from Redis.
    const other = await client(await gateway());
    const h = await waitHistory(other, key, 4);
    assert.deepEqual(texts(h).filter((_, i) => i % 2 === 0), ['before', 'during']);
  });

  test('bad Redis settings: a malformed URL or a refused password exits 2 naming LANEGATE_REDIS_URL; an unreachable Redis starts and says so', async () => {
    const bad = await runGatewayExpectExit({ LANEGATE_REDIS_URL: 'http://127.0.0.1:1' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^lanegate: LANEGATE_REDIS_URL=/);
    const secured = await TestRedis.start({ password: 'right-one' });
    try {
      const refused = await runGatewayExpectExit({ LANEGATE_REDIS_URL: `redis://:wrong-one@127.0.0.1:${secured.port}` });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /LANEGATE_REDIS_URL=.*WRONGPASS/);
      assert.doesNotMatch(refused.stderr, /wrong-one/, 'the password is never printed');
    } finally {
      await secured.close();
    }
    const gone = await TestRedis.start();
    const port = gone.port;
    await gone.close();
    const g = await startGateway({ LANEGATE_REDIS_URL: `redis://127.0.0.1:${port}` });
    gateways.push(g);
    assert.match(g.stdout(), /redis +redis:\/\/127\.0\.0\.1:\d+.*unreachable: retrying/);
    await waitReady(g, 503, 'degraded');
    const c = await client(g);
    const { final } = await chatOnce(c, 'agent:main:alone', 'still answered', 'u1');
    assert.equal(final.payload.state, 'final');
  });
});

async function metricsText(g: RunningGateway): Promise<string> {
  return (await fetch(`${g.httpUrl}/metrics`)).text();
}

/** Polls /readyz until it answers `status` with `statusText` (bounded; the gateway learns of Redis within a few seconds). */
async function waitReady(g: RunningGateway, status: number, statusText: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await fetch(`${g.httpUrl}/readyz`);
    const body = (await r.json()) as { status: string };
    if (r.status === status && body.status === statusText) return;
    if (Date.now() > deadline) throw new Error(`/readyz stayed ${r.status} ${body.status}, wanted ${status} ${statusText}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** chat.history once the session has `n` entries (the transcript is written behind, after a reconnect). */
async function waitHistory(c: TestClient, key: string, n: number): Promise<Frame> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const h = await c.request('chat.history', { sessionKey: key });
    if (h.payload.messages.length >= n || Date.now() > deadline) return h;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
