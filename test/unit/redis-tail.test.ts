import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createLogger } from '../../src/log.js';
import type { OpsEntry } from '../../src/state/ops-log.js';
import { redisKeys } from '../../src/state/redis/keys.js';
import { RedisLink } from '../../src/state/redis/link.js';
import { RedisOpsLog } from '../../src/state/redis/redis-ops-log.js';
import { RedisTail, type FeedReset } from '../../src/state/redis/tail.js';
import { Prng } from '../helpers/prng.js';
import { haveRedisServer, TestRedis } from '../helpers/redis-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';
const logger = createLogger('silent', 'test');

/** One instance's view: its log, its tail, what the tail forwarded and the resets it raised. */
interface Instance {
  link: RedisLink;
  log: RedisOpsLog;
  tail: RedisTail;
  got: OpsEntry[];
  resets: FeedReset[];
  /** Resolves once the tail has forwarded `seq`. */
  reached(seq: number): Promise<void>;
  /** Resolves at the next reset. */
  nextReset(): Promise<FeedReset>;
}

async function instance(url: string, prefix: string): Promise<Instance> {
  const { link } = await RedisLink.open(url, 5_000);
  const keys = redisKeys(prefix);
  const log = new RedisOpsLog(link, keys, { entries: 100_000, bytes: 0, ms: 0 });
  const got: OpsEntry[] = [];
  const resets: FeedReset[] = [];
  const waiters: { seq: number; resolve: () => void }[] = [];
  const resetWaiters: ((r: FeedReset) => void)[] = [];
  const tail = new RedisTail({
    client: await link.dedicated('tail'),
    log,
    streamKey: keys.log,
    onEntry: (e) => {
      got.push(e);
      for (let i = waiters.length - 1; i >= 0; i--) if (e.seq >= waiters[i]!.seq) waiters.splice(i, 1)[0]!.resolve();
    },
    onReset: (r) => {
      resets.push(r);
      for (const w of resetWaiters.splice(0)) w(r);
    },
    onPosition: () => {},
    logger,
  });
  tail.start(await log.position());
  return {
    link,
    log,
    tail,
    got,
    resets,
    reached: (seq) => (tail.seq >= seq ? Promise.resolve() : new Promise((resolve) => waiters.push({ seq, resolve }))),
    nextReset: () => new Promise((resolve) => resetWaiters.push(resolve)),
  };
}

async function closeAll(list: Instance[]): Promise<void> {
  for (const i of list) {
    const done = i.tail.stop();
    await i.link.close();
    await done;
  }
  list.length = 0;
}

/** Appends until Redis answers: a producer retrying the same key through a blip. */
async function deliver(log: RedisOpsLog, key: string, link: RedisLink): Promise<number> {
  for (;;) {
    try {
      return (await log.append({ lane: 'cron', sessionKey: 's', kind: 'k', idempotencyKey: key, ts: 1, payloadJson: JSON.stringify(key) })).seq;
    } catch {
      await link.whenUp();
    }
  }
}

/** Every instance forwarded seq 1..n exactly once, in order, with the same entry at each seq. */
function assertSameFeed(list: Instance[], from: number, n: number): void {
  const ref = list[0]!.got.filter((e) => e.seq >= from);
  assert.deepEqual(ref.map((e) => e.seq), Array.from({ length: n - from + 1 }, (_, i) => from + i), 'dense, ordered, once');
  for (const i of list.slice(1)) assert.deepEqual(i.got.filter((e) => e.seq >= from), ref, 'the same entries everywhere');
}

describe('the Redis tail (fan-out across instances)', { skip }, () => {
  let redis: TestRedis;
  let proxy: TcpProxy;
  const live: Instance[] = [];
  before(async () => {
    redis = await TestRedis.start({ aof: true });
    proxy = await TcpProxy.start(redis.port);
  });
  afterEach(() => closeAll(live));
  after(async () => {
    await proxy.close();
    await redis.close();
  });
  const url = (): string => `redis://127.0.0.1:${proxy.port}`;
  const start = async (prefix: string, n: number): Promise<Instance[]> => {
    for (let i = 0; i < n; i++) live.push(await instance(url(), prefix));
    return live;
  };

  test('three instances appending with retried keys through two connection blips: every instance forwards every seq once, in order', async () => {
    const list = await start('fan:', 3);
    const prng = new Prng(1414);
    const keys = new Set<string>();
    const sends: Promise<number>[] = [];
    for (let i = 0; i < 900; i++) {
      const key = i > 20 && prng.next() < 0.15 ? `k${prng.int(0, i - 1)}` : `k${i}`;
      keys.add(key);
      const who = list[prng.int(0, 2)]!;
      sends.push(deliver(who.log, key, who.link));
      if (i === 300 || i === 600) {
        await Promise.all(sends.slice(-50));
        proxy.cut();
      }
    }
    await Promise.all(sends);
    const n = keys.size;
    await Promise.all(list.map((i) => i.reached(n)));
    assertSameFeed(list, 1, n);
    assert.deepEqual(new Set(list[0]!.got.map((e) => e.idempotencyKey)), keys, 'each key once');
    assert.ok(proxy.accepted >= 3 * 2 * 3, 'the connections came back after each cut');
    for (const i of list) assert.deepEqual(i.resets, []);
  });

  test('Redis restarted with its data: no reset, the feed continues without a gap', async () => {
    const list = await start('restart:', 2);
    for (let i = 1; i <= 50; i++) await deliver(list[i % 2]!.log, `a${i}`, list[i % 2]!.link);
    await Promise.all(list.map((i) => i.reached(50)));
    await redis.stop();
    await redis.restart();
    for (let i = 51; i <= 100; i++) await deliver(list[i % 2]!.log, `a${i}`, list[i % 2]!.link);
    await Promise.all(list.map((i) => i.reached(100)));
    assertSameFeed(list, 1, 100);
    for (const i of list) assert.deepEqual(i.resets, [], 'nothing was lost, nothing to reset');
    assert.notEqual(list[0]!.tail.position!.generation, list[0]!.tail.position!.fences[0]!.generation, 'the tail saw the new generation');
  });

  test('Redis came back empty: a new-log reset that keeps no cursor, then the new log is forwarded', async () => {
    const list = await start('wipe:', 2);
    for (let i = 1; i <= 10; i++) await deliver(list[0]!.log, `w${i}`, list[0]!.link);
    await Promise.all(list.map((i) => i.reached(10)));
    const oldEpoch = list[0]!.tail.position!.epoch;
    const resets = list.map((i) => i.nextReset());
    await redis.stop();
    redis.wipe();
    await redis.restart();
    const seq = await deliver(list[1]!.log, 'after', list[1]!.link);
    assert.equal(seq, 11, 'seq continues after what the instance saw');
    for (const r of await Promise.all(resets)) {
      assert.equal(r.reason, 'new-log');
      assert.equal(r.validUpTo, -1);
      assert.notEqual(r.epoch, oldEpoch);
    }
    await Promise.all(list.map((i) => i.reached(11)));
    for (const i of list) assert.equal(i.got.at(-1)!.idempotencyKey, 'after');
  });

  test('a rolled-back data set (failover to a lagging copy behind the same address): a rollback reset at the fence, then the new entries', async () => {
    const list = await start('rb:', 2);
    for (let i = 1; i <= 5; i++) await deliver(list[0]!.log, `r${i}`, list[0]!.link);
    await Promise.all(list.map((i) => i.reached(5)));
    // A replica that has the first five entries, on a port of its own.
    const lagging = await TestRedis.start({ aof: true });
    try {
      await lagging.stop();
      const install = await copyData(redis, lagging);
      for (let i = 6; i <= 8; i++) await deliver(list[1]!.log, `r${i}`, list[1]!.link);
      await Promise.all(list.map((i) => i.reached(8)));
      const resets = list.map((i) => i.nextReset());
      await redis.kill();
      install();
      await lagging.restart();
      proxy.retarget(lagging.port);
      for (const r of await Promise.all(resets)) {
        assert.equal(r.reason, 'rollback');
        assert.equal(r.validUpTo, 5, 'what was forwarded up to seq 5 still holds');
        assert.equal(r.headSeq, 5);
      }
      const seq = await deliver(list[0]!.log, 'new6', list[0]!.link);
      assert.equal(seq, 6);
      await Promise.all(list.map((i) => i.reached(6)));
      for (const i of list) assert.equal(i.got.at(-1)!.idempotencyKey, 'new6');
    } finally {
      await closeAll(live);
      proxy.retarget(redis.port);
      await lagging.close();
      if (!redis.running) await redis.restart();
    }
  });
});

/**
 * Snapshots `from`'s data now (stopping and restarting it for a consistent
 * copy) and returns a function that installs the snapshot as `to`'s data.
 */
async function copyData(from: TestRedis, to: TestRedis): Promise<() => void> {
  await from.stop();
  const snapshot = join(to.dir, 'snapshot');
  cpSync(join(from.dir, 'appendonlydir'), snapshot, { recursive: true });
  await from.restart();
  return () => {
    rmSync(join(to.dir, 'appendonlydir'), { recursive: true, force: true });
    cpSync(snapshot, join(to.dir, 'appendonlydir'), { recursive: true });
  };
}
