import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, ErrorCodes } from '../../src/errors.js';
import type { NewOpsEntry } from '../../src/state/ops-log.js';
import { redisKeys } from '../../src/state/redis/keys.js';
import { RedisLink } from '../../src/state/redis/link.js';
import { resumable } from '../../src/state/redis/position.js';
import { RedisOpsLog, type Retention } from '../../src/state/redis/redis-ops-log.js';
import { Prng } from '../helpers/prng.js';
import { haveRedisServer, TestRedis } from '../helpers/redis-server.js';

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';
/** Each log's link, to wait for its reconnection. */
const linkOf = new WeakMap<RedisOpsLog, RedisLink>();
const WIDE: Retention = { entries: 100_000, bytes: 0, ms: 0 };

function entry(key: string, payload: unknown = { key }, ts = Date.now()): NewOpsEntry {
  return { lane: 'subagent', sessionKey: 'main', kind: 'result', idempotencyKey: key, ts, payloadJson: JSON.stringify(payload) };
}

async function openLog(r: TestRedis, prefix: string, retention = WIDE): Promise<{ link: RedisLink; log: RedisOpsLog }> {
  const { link, state } = await RedisLink.open(r.url, 5_000);
  assert.equal(state, 'up');
  const log = new RedisOpsLog(link, redisKeys(prefix), retention);
  linkOf.set(log, link);
  return { link, log };
}

describe('the Redis append script', { skip }, () => {
  let redis: TestRedis;
  const links: RedisLink[] = [];
  before(async () => {
    redis = await TestRedis.start({ aof: true });
  });
  after(async () => {
    for (const l of links) await l.close();
    await redis.close();
  });
  const open = async (prefix: string, retention = WIDE): Promise<RedisOpsLog> => {
    const o = await openLog(redis, prefix, retention);
    links.push(o.link);
    return o.log;
  };

  test('three writers: dense global seq, a retried key answered with its first seq on any writer, each key stored once', async () => {
    const logs = [await open('dense:'), await open('dense:'), await open('dense:')];
    const prng = new Prng(14);
    const rnd = (): number => prng.next();
    const firstSeq = new Map<string, number>();
    const answers = new Map<string, { seq: number; duplicate: boolean }[]>();
    const pending: Promise<void>[] = [];
    let retries = 0;
    for (let i = 0; i < 600; i++) {
      // One in five sends repeat an earlier key on a random writer (a producer retrying elsewhere).
      const again = i > 10 && rnd() < 0.2;
      const key = again ? `k${Math.floor(rnd() * (i - 5))}` : `k${i}`;
      if (again) retries++;
      const log = logs[Math.floor(rnd() * logs.length)]!;
      pending.push(
        log.append(entry(key)).then((r) => {
          const list = answers.get(key) ?? [];
          list.push({ seq: r.seq, duplicate: r.duplicate });
          answers.set(key, list);
        }),
      );
    }
    await Promise.all(pending);
    assert.ok(retries > 50, 'the run retried keys');
    // Sends were concurrent on three connections, so a retry may reach Redis before the original:
    // each key has exactly one non-duplicate answer, and every answer for it names the same seq.
    for (const [key, list] of answers) {
      assert.equal(list.filter((a) => !a.duplicate).length, 1, `${key}: stored once`);
      assert.equal(new Set(list.map((a) => a.seq)).size, 1, `${key}: one seq in every answer`);
      firstSeq.set(key, list[0]!.seq);
    }
    const seqs = [...firstSeq.values()].sort((a, b) => a - b);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'dense from 1');
    const stored = await logs[0]!.readAfter(0, 10_000);
    assert.equal(stored.length, firstSeq.size, 'one stream entry per key');
    for (const e of stored) assert.equal(firstSeq.get(e.idempotencyKey), e.seq);
    const pos = await logs[2]!.position();
    assert.equal(pos.headSeq, firstSeq.size);
    assert.equal(pos.firstSeq, 1);
  });

  test('entries come back as stored: payload text unparsed, fields intact, order by seq', async () => {
    const log = await open('fields:');
    const payload = { text: 'héllo "quoted" \u2028', n: [1, 2, 3], big: 'x'.repeat(70_000) };
    const r = await log.append({ lane: 'cron', sessionKey: 'agent:a:b', kind: 'cron.done', idempotencyKey: 'only', ts: 1234.5, payloadJson: JSON.stringify(payload) });
    const [e] = await log.readAfter(0, 10);
    assert.deepEqual(e, { seq: r.seq, lane: 'cron', sessionKey: 'agent:a:b', kind: 'cron.done', idempotencyKey: 'only', ts: 1234.5, payloadJson: JSON.stringify(payload) });
    assert.deepEqual(await log.readAfter(r.seq, 10), []);
  });

  test('retention by count trims the oldest with their keys: a key retried after its entry left is appended again', async () => {
    const log = await open('count:', { entries: 10, bytes: 0, ms: 0 });
    for (let i = 1; i <= 25; i++) await log.append(entry(`c${i}`));
    const kept = await log.readAfter(0, 100);
    assert.deepEqual(kept.map((e) => e.seq), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    const pos = await log.position();
    assert.equal(pos.firstSeq, 16);
    assert.equal(pos.headSeq, 25);
    assert.equal(Number(await links[0]!.command.sendCommand(['HLEN', redisKeys('count:').idem])), 10, 'key table holds the retained keys only');
    assert.deepEqual(await log.append(entry('c20')), { seq: 20, duplicate: true, epoch: pos.epoch });
    const again = await log.append(entry('c3'));
    assert.equal(again.duplicate, false);
    assert.equal(again.seq, 26);
  });

  test('retention by bytes and by age; the newest entry always stays', async () => {
    const bytes = await open('bytes:', { entries: 1000, bytes: 4_000, ms: 0 });
    for (let i = 1; i <= 20; i++) await bytes.append(entry(`b${i}`, 'x'.repeat(900)));
    const kept = await bytes.readAfter(0, 100);
    assert.ok(kept.length >= 3 && kept.length <= 4, `about 4000 bytes of 950-byte entries kept (${kept.length})`);
    assert.equal(kept.at(-1)!.seq, 20);
    await bytes.append(entry('huge', 'y'.repeat(10_000)));
    assert.deepEqual((await bytes.readAfter(0, 100)).map((e) => e.seq), [21], 'an entry larger than the bound is kept alone');

    const aged = await open('age:', { entries: 1000, bytes: 0, ms: 60_000 });
    const old = Date.now() - 3_600_000;
    for (let i = 1; i <= 5; i++) await aged.append(entry(`a${i}`, null, old));
    await aged.append(entry('fresh'));
    assert.deepEqual((await aged.readAfter(0, 100)).map((e) => e.idempotencyKey), ['fresh'], 'entries older than the age bound left');
  });

  test('the epoch: one per log, shared by every writer; a restart keeps every cursor; a wiped Redis makes a new epoch and seq does not restart', async () => {
    const a = await open('epoch:');
    const b = await open('epoch:');
    const first = await a.append(entry('e1'));
    await b.append(entry('e2'));
    const before = await b.position();
    assert.equal(before.epoch, first.epoch);
    assert.match(before.epoch, /^[A-Za-z0-9_-]+:[0-9a-f]{12}$/);

    await redis.stop();
    await redis.restart();
    const afterRestart = await waitUp(a);
    assert.equal(afterRestart.id, before.id, 'same log');
    assert.notEqual(afterRestart.generation, before.generation, 'the reload started a generation');
    assert.deepEqual(afterRestart.fences.map((f) => f.seq), [0, 2], 'fences: the creation at 0, the restart at head 2');
    assert.equal(afterRestart.headSeq, 2);
    assert.ok(resumable(afterRestart, before.epoch, 2), 'a cursor at the head before the restart resumes');
    assert.ok(resumable(afterRestart, before.epoch, 0));

    await redis.stop();
    redis.wipe();
    await redis.restart();
    const fresh = await waitUp(b);
    assert.notEqual(fresh.id, before.id, 'a Redis without the data gets a new epoch');
    assert.ok(fresh.headSeq >= 2, `seq continues after what this instance saw (head ${fresh.headSeq})`);
    assert.equal(resumable(fresh, before.epoch, 2), false, 'old cursors are told to reload');
    const next = await b.append(entry('e3'));
    assert.equal(next.seq, 3);
    assert.equal(next.epoch, fresh.epoch);
  });

  test('a data set rolled back (older AOF, as a promoted lagging replica would have): cursors past the fence are refused, those at or below it resume', async () => {
    const log = await open('rollback:');
    for (let i = 1; i <= 5; i++) await log.append(entry(`r${i}`));
    const atFive = await log.position();
    // Snapshot the data as it is with 5 entries (a replica that stopped here).
    await redis.stop();
    const copy = join(redis.dir, 'lagging');
    cpSync(join(redis.dir, 'appendonlydir'), copy, { recursive: true });
    await redis.restart();
    await waitUp(log);
    for (let i = 6; i <= 8; i++) await log.append(entry(`r${i}`));
    const seen = await log.position();
    assert.equal(seen.headSeq, 8);
    // The primary dies; the replica with 5 entries takes over.
    await redis.kill();
    rmSync(join(redis.dir, 'appendonlydir'), { recursive: true });
    cpSync(copy, join(redis.dir, 'appendonlydir'), { recursive: true });
    await redis.restart();
    const now = await waitUp(log);
    assert.equal(now.id, seen.id);
    assert.equal(now.headSeq, 5);
    assert.equal(resumable(now, seen.epoch, 8), false, 'a cursor that saw seq 6..8 is refused');
    assert.equal(resumable(now, atFive.epoch, 5), true, 'a cursor at the fence, from a generation the data set still has, resumes');
    assert.equal(resumable(now, atFive.epoch, 4), true);
    assert.equal(resumable(now, seen.epoch, 5), false, 'any cursor of the lost generation is refused (its record is gone with it)');
    // Even once seqs 6..8 exist again with other content, the old cursor stays refused.
    for (let i = 1; i <= 4; i++) await log.append(entry(`s${i}`));
    const later = await log.position();
    assert.equal(later.headSeq, 9);
    assert.equal(resumable(later, seen.epoch, 7), false);
    assert.equal(resumable(later, later.epoch, 7), true, 'a cursor of the new generation resumes');
    assert.deepEqual((await log.append(entry('r7'))).duplicate, false, 'a lost key is appended again');
  });

  test('Redis unreachable: append rejects at once with REDIS_UNAVAILABLE, and works again once it is back', async () => {
    const log = await open('down:');
    await log.append(entry('d1'));
    await redis.stop();
    const t0 = Date.now();
    await assert.rejects(log.append(entry('d2')), (e: { code?: string }) => e.code === ErrorCodes.REDIS_UNAVAILABLE);
    assert.ok(Date.now() - t0 < 1_000, 'no wait for a reconnect');
    await redis.restart();
    await waitUp(log);
    assert.equal((await log.append(entry('d2'))).seq, 2);
  });
});

describe('opening a Redis link', { skip }, () => {
  test('a refused password is a ConfigError naming LANEGATE_REDIS_URL without the password; no password is one too', async () => {
    const r = await TestRedis.start({ password: 's3cret' });
    try {
      const wrong = r.url.replace('s3cret', 'hunter2');
      for (const url of [wrong, `redis://127.0.0.1:${r.port}`]) {
        await assert.rejects(RedisLink.open(url, 5_000), (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.variable, 'LANEGATE_REDIS_URL');
          assert.doesNotMatch(e.message, /hunter2/);
          assert.match(e.message, /WRONGPASS|NOAUTH/);
          return true;
        });
      }
      const ok = await RedisLink.open(r.url, 5_000);
      assert.equal(ok.state, 'up');
      await ok.link.close();
    } finally {
      await r.close();
    }
  });

  test('a server that refuses scripts is a ConfigError at open', async () => {
    const r = await TestRedis.start({ args: ['--rename-command', 'EVAL', '""'] });
    try {
      await assert.rejects(RedisLink.open(r.url, 5_000), (e: unknown) => e instanceof ConfigError && /scripts/.test(e.message));
    } finally {
      await r.close();
    }
  });

  test('an unreachable server: open resolves `down` after the wait and the link connects once Redis appears', async () => {
    const r = await TestRedis.start();
    const port = r.port;
    await r.stop();
    const { link, state } = await RedisLink.open(`redis://127.0.0.1:${port}`, 300);
    try {
      assert.equal(state, 'down');
      const up = link.whenUp();
      await r.restart();
      await up;
      assert.equal(String(await link.command.sendCommand(['PING'])), 'PONG');
    } finally {
      await link.close();
      await r.close();
    }
  });
});

/** The position once the log's link has reconnected (it retries with backoff of at most 2 s). */
async function waitUp(log: RedisOpsLog): Promise<Awaited<ReturnType<RedisOpsLog['position']>>> {
  const link = linkOf.get(log)!;
  await link.whenUp();
  return log.position();
}
