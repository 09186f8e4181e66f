import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/log.js';
import type { OpsEntry } from '../../src/state/ops-log.js';
import { RedisLink } from '../../src/state/redis/link.js';
import { RedisSharedLog } from '../../src/state/redis/shared-log.js';
import { haveRedisServer, TestRedis } from '../helpers/redis-server.js';

// RedisSharedLog as the runtime drives it: appends resolve only through
// its completions source (taken as ops work) and only once this instance's
// feed has forwarded the entry; the feed carries every instance's appends.

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';
const logger = createLogger('silent', 'test');
const RETENTION = { entries: 1000, bytes: 0, ms: 0 };

interface Opened {
  link: RedisLink;
  log: RedisSharedLog;
  fed: OpsEntry[];
  /** Takes every queued completion, as the runtime's consumer would. */
  drain(): number;
  wakes: number;
}

async function open(url: string, prefix: string): Promise<Opened> {
  const { link } = await RedisLink.open(url, 5_000);
  const log = await RedisSharedLog.open(link, prefix, RETENTION, logger);
  const o: Opened = { link, log, fed: [], drain: () => log.completions.take(1_000), wakes: 0 };
  log.wake = () => {
    o.wakes++;
    // The runtime takes completions on its next turn; here, at once.
    queueMicrotask(() => o.drain());
  };
  log.feed.subscribe((e) => o.fed.push(e));
  return o;
}

describe('RedisSharedLog (the ops log shape over Redis)', { skip }, () => {
  let redis: TestRedis;
  const opened: Opened[] = [];
  before(async () => {
    redis = await TestRedis.start();
  });
  after(async () => {
    for (const o of opened) {
      const done = o.log.close();
      await o.link.close();
      await done;
    }
    await redis.close();
  });

  test('an append resolves through completions, after its own feed has the entry; every instance feeds every entry', async () => {
    const a = await open(redis.url, 'shared:');
    const b = await open(redis.url, 'shared:');
    opened.push(a, b);
    assert.equal(a.log.available, true);
    assert.match(a.log.epoch, /^[A-Za-z0-9_-]+:[0-9a-f]{12}$/);
    const r1 = await a.log.append({ lane: 'cron', sessionKey: 's', kind: 'k', idempotencyKey: 'x1', ts: 1, payloadJson: '{"n":1}' });
    assert.equal(r1.seq, 1);
    assert.ok(a.wakes >= 1, 'the consumer was woken for the completion');
    assert.ok(a.fed.some((e) => e.seq === 1), 'the feed had the entry before the append resolved');
    const r2 = await b.log.append({ lane: 'cron', sessionKey: 's', kind: 'k', idempotencyKey: 'x2', ts: 1, payloadJson: '{"n":2}' });
    assert.equal(r2.seq, 2);
    const dup = await b.log.append({ lane: 'cron', sessionKey: 's', kind: 'k', idempotencyKey: 'x1', ts: 1, payloadJson: '{"n":1}' });
    assert.deepEqual({ seq: dup.seq, duplicate: dup.duplicate }, { seq: 1, duplicate: true });
    // Each forwards the other's entry too.
    await until(() => a.log.headSeq >= 2 && b.log.headSeq >= 2);
    assert.deepEqual(a.fed.map((e) => e.idempotencyKey), ['x1', 'x2']);
    assert.deepEqual(b.fed.map((e) => e.idempotencyKey), ['x1', 'x2']);
    assert.equal(a.log.resumable(a.log.epoch, 1), true);
    assert.equal(a.log.resumable('other:000000000000', 1), false);
    assert.deepEqual((await b.log.readAfter(0, 10)).map((e) => e.seq), [1, 2]);
  });

  test('without a consumer taking completions, an append does not resolve (acks are ops work)', async () => {
    const { link } = await RedisLink.open(redis.url, 5_000);
    const log = await RedisSharedLog.open(link, 'held:', RETENTION, logger);
    let resolved = false;
    const p = log.append({ lane: 'cron', sessionKey: 's', kind: 'k', idempotencyKey: 'h1', ts: 1, payloadJson: 'null' }).then(() => (resolved = true));
    // Redis answers within milliseconds; the completion waits in the queue.
    await until(() => log.completions.hasWork());
    assert.equal(resolved, false);
    assert.equal(log.completions.take(10), 1);
    await p;
    assert.equal(resolved, true);
    const done = log.close();
    await link.close();
    await done;
  });

  test('Redis away: the append rejects (through completions) with REDIS_UNAVAILABLE; the log is not available', async () => {
    const r = await TestRedis.start();
    const o = await open(r.url, 'away:');
    await r.stop();
    await assert.rejects(o.log.append({ lane: 'cron', sessionKey: 's', kind: 'k', idempotencyKey: 'a1', ts: 1, payloadJson: 'null' }), (e: { code?: string }) => e.code === 'LANEGATE_ERR_REDIS_UNAVAILABLE');
    assert.equal(o.log.available, false);
    const done = o.log.close();
    await o.link.close();
    await done;
    await r.close();
  });
});

/** Waits (bounded: 10 s) for a condition that Redis replies make true. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
