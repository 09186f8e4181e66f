import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { createLogger } from '../../src/log.js';
import type { HistoryEntry } from '../../src/runtime/sessions.js';
import { RedisChatShare, type ChatShareHandlers } from '../../src/state/redis/chat-share.js';
import { redisKeys } from '../../src/state/redis/keys.js';
import { RedisLink } from '../../src/state/redis/link.js';
import { haveRedisServer, TestRedis } from '../helpers/redis-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';
const logger = createLogger('silent', 'test');

interface Peer {
  link: RedisLink;
  share: RedisChatShare;
  events: [string, string, Record<string, unknown>][];
  entries: [string, HistoryEntry][];
  /** Resolves once `n` transcript entries from other instances arrived. */
  entriesAt(n: number): Promise<void>;
  releaseWanted: string[];
}

async function peer(url: string, id: string, onRelease?: (p: Peer, s: string) => void): Promise<Peer> {
  const { link } = await RedisLink.open(url, 5_000);
  const share = new RedisChatShare(link, redisKeys('chat:'), id, 5, logger);
  const waiters: { n: number; resolve: () => void }[] = [];
  const p: Peer = {
    link,
    share,
    events: [],
    entries: [],
    releaseWanted: [],
    entriesAt: (n) => (p.entries.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
  const handlers: ChatShareHandlers = {
    event: (s, e, payload) => p.events.push([s, e, payload]),
    entry: (s, x) => {
      p.entries.push([s, x]);
      for (let i = waiters.length - 1; i >= 0; i--) if (p.entries.length >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve();
    },
    releaseWanted: (s) => {
      p.releaseWanted.push(s);
      onRelease?.(p, s);
    },
  };
  await share.start(handlers);
  return p;
}

const entry = (seq: number, text: string): HistoryEntry => ({ seq, role: seq % 2 ? 'user' : 'assistant', content: [{ type: 'text', text }], timestamp: 1000 + seq });

describe('chat across instances through Redis', { skip }, () => {
  let redis: TestRedis;
  let proxy: TcpProxy;
  const peers: Peer[] = [];
  before(async () => {
    redis = await TestRedis.start();
    proxy = await TcpProxy.start(redis.port);
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) {
      await p.share.close();
      await p.link.close();
    }
  });
  after(async () => {
    await proxy.close();
    await redis.close();
  });
  const url = (): string => `redis://127.0.0.1:${proxy.port}`;

  test('one transcript: entries written on one instance are read on another (trimmed to the history limit) and arrive there live; events too', async () => {
    const a = await peer(url(), 'A');
    const b = await peer(url(), 'B');
    peers.push(a, b);
    for (let i = 1; i <= 7; i++) assert.equal(a.share.append('s1', entry(i, `m${i}`)), true);
    a.share.event('s1', 'chat', { state: 'final', runId: 'r1' });
    await b.entriesAt(7);
    assert.deepEqual(b.entries.map(([, x]) => x.seq), [1, 2, 3, 4, 5, 6, 7], 'live entries in order');
    const stored = await b.share.tail('s1', 100);
    assert.ok(stored.length >= 5, 'at least the history limit is kept');
    assert.equal(stored.at(-1)!.seq, 7);
    assert.deepEqual(await b.share.read('s1', 5, 100), [entry(6, 'm6'), entry(7, 'm7')], 'afterSeq pages forward');
    assert.deepEqual(b.events, [['s1', 'chat', { state: 'final', runId: 'r1' }]]);
    assert.deepEqual(a.entries, [], 'an instance does not hear itself');
  });

  test('Redis away: transcript writes wait in order and land once it is back; nothing duplicated by the resend', async () => {
    const a = await peer(url(), 'A');
    peers.push(a);
    a.share.append('s2', entry(1, 'before'));
    await waitFor(() => a.share.backlog === 0);
    proxy.refuse(true);
    await waitFor(() => a.link.state === 'down');
    for (let i = 2; i <= 4; i++) assert.equal(a.share.append('s2', entry(i, `during${i}`)), true);
    assert.ok(a.share.backlog >= 3, 'held while Redis is away');
    proxy.refuse(false);
    await a.link.whenUp();
    await waitFor(() => a.share.backlog === 0);
    assert.deepEqual((await a.share.read('s2', 0, 100)).map((x) => x.seq), [1, 2, 3, 4]);
  });

  test('the lease: one holder at a time; a second instance asks, the holder gives it up, the second takes it; a dead holder times out', async () => {
    const a = await peer(url(), 'A', (p, s) => p.share.release(s));
    const b = await peer(url(), 'B');
    peers.push(a, b);
    assert.equal(await a.share.acquire('s3'), true);
    assert.equal(a.share.holds('s3'), true);
    assert.equal(await b.share.acquire('s3'), true, 'B got it after asking');
    assert.deepEqual(a.releaseWanted, ['s3']);
    assert.equal(a.share.holds('s3'), false);
    assert.equal(b.share.holds('s3'), true);
    // C holds s4 and never answers (a dead instance): D waits for the lease's expiry.
    const c = await peer(url(), 'C');
    const d = await peer(url(), 'D');
    peers.push(c, d);
    assert.equal(await c.share.acquire('s4'), true);
    await c.share.close(); // stops renewing... and releases: simulate death by re-taking it without renewal
    const key = redisKeys('chat:').session('lease', 's4');
    await c.link.command.sendCommand(['SET', key, 'C', 'PX', '600']);
    const t0 = Date.now();
    assert.equal(await d.share.acquire('s4'), true);
    assert.ok(Date.now() - t0 >= 300, 'waited for the expiry');
  });
});

/** Waits for a condition that an event loop turn makes true (bounded: 10 s). */
async function waitFor(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
