// The shared log's own ceiling: appends/s through the append script, and
// entries/s each instance's tail forwards, with 1, 2 and 3 writer
// processes on one private redis-server (what N gateway instances put on
// one Redis primary, without the gateways). Run it with
// `npm run build && flock /work/locks/bench.lock node dist/bench/redis/append-bench.js`.
// Every process appends as fast as Redis answers (a window of requests in
// flight) for DURATION_MS and reads the stream with its own tail; the
// report gives acked/s summed over writers and, per process, how many of
// ALL writers' entries its tail forwarded (each must forward every one).

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/log.js';
import { redisKeys } from '../../src/state/redis/keys.js';
import { RedisLink } from '../../src/state/redis/link.js';
import { RedisOpsLog } from '../../src/state/redis/redis-ops-log.js';
import { RedisTail } from '../../src/state/redis/tail.js';
import { TestRedis } from '../../test/helpers/redis-server.js';

const DURATION_MS = 5_000;
const WINDOW = 256;
const PAYLOAD = JSON.stringify({ text: 'x'.repeat(200) });

interface WriterReport {
  acked: number;
  forwarded: number;
  ms: number;
}

async function writer(url: string, prefix: string, tag: string): Promise<WriterReport> {
  const { link } = await RedisLink.open(url, 5_000);
  const keys = redisKeys(prefix);
  const log = new RedisOpsLog(link, keys, { entries: 100_000, bytes: 0, ms: 0 });
  let forwarded = 0;
  const tail = new RedisTail({
    client: await link.dedicated('tail'),
    log,
    streamKey: keys.log,
    onEntry: () => forwarded++,
    onReset: () => {},
    onPosition: () => {},
    logger: createLogger('silent', 'bench'),
  });
  tail.start(await log.position());
  let acked = 0;
  let n = 0;
  const t0 = Date.now();
  const until = t0 + DURATION_MS;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (Date.now() < until) {
        await log.append({ lane: 'subagent', sessionKey: 's', kind: 'k', idempotencyKey: `${tag}-${n++}`, ts: Date.now(), payloadJson: PAYLOAD });
        acked++;
      }
    }),
  );
  const ms = Date.now() - t0;
  // Let every tail catch up with everything written (bounded).
  const head = (await log.position()).headSeq;
  const deadline = Date.now() + 10_000;
  while (tail.seq < head && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const done = tail.stop();
  await link.close();
  await done;
  return { acked, forwarded, ms };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'writer') {
    const [url, prefix, tag] = process.argv.slice(3) as [string, string, string];
    process.send!(await writer(url, prefix, tag));
    return;
  }
  const redis = await TestRedis.start({ aof: true, args: ['--appendfsync', 'everysec'] });
  const self = fileURLToPath(import.meta.url);
  try {
    console.log(`redis-server ${redis.port} (AOF, appendfsync everysec), ${DURATION_MS} ms per run, window ${WINDOW}, ${PAYLOAD.length} B payloads`);
    for (const n of [1, 2, 3]) {
      const prefix = `bench${n}:`;
      const reports = await Promise.all(
        Array.from(
          { length: n },
          (_, i) =>
            new Promise<WriterReport>((resolve, reject) => {
              const p = fork(self, ['writer', redis.url, prefix, `w${i}`]);
              p.once('message', (m) => resolve(m as WriterReport));
              p.once('error', reject);
            }),
        ),
      );
      const acked = reports.reduce((a, r) => a + r.acked, 0);
      const perSec = Math.round((acked * 1000) / Math.max(...reports.map((r) => r.ms)));
      console.log(`  ${n} writer(s): ${perSec} acked appends/s in total; each tail forwarded ${reports.map((r) => r.forwarded).join(', ')} of ${acked}`);
    }
  } finally {
    await redis.close();
  }
}

void main();
