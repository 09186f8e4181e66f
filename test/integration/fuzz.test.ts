import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import type { FuzzArgs, FuzzReport } from '../helpers/fuzz.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// Fuzzing both ports: at least 100,000 seeded random and mutated inputs
// (bad JSON, deep nesting, huge numbers and strings, wrong types, invalid
// UTF-8, fragmented and control frames, broken framing, raw garbage) from a
// generator in its own process, while well-formed clients keep chatting
// and delivering. The gateway must not crash, its memory must stay
// bounded, and every well-formed message must be answered.

const TOKEN = 'fuzz-token-0123456789abcdef';
const SEED = Number(process.env.LANEGATE_FUZZ_SEED ?? 20240601);
const COUNT = 100_000;
const MiB = 1024 * 1024;
const GENERATOR = fileURLToPath(new URL('../helpers/fuzz.js', import.meta.url));

let gw: RunningGateway;
before(async () => {
  gw = await startGateway({
    LANEGATE_TOKEN: TOKEN,
    LANEGATE_OPS_PORT: '0',
    LANEGATE_CONV_MAX_PAYLOAD: '262144',
    LANEGATE_OPS_MAX_PAYLOAD: '262144',
    LANEGATE_LOG_LEVEL: 'error',
    // A small heap for every isolate (V8 flags are per process): anything the fuzz made the
    // gateway keep would end in an out-of-memory crash long before the end of the run.
    NODE_OPTIONS: '--max-old-space-size=128',
  });
});
after(async () => {
  await gw.stop();
});

/** Resident set size (current and peak) of the gateway process, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(s)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

function runGenerator(args: FuzzArgs): Promise<FuzzReport> {
  const child = fork(GENERATOR, [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { report?: FuzzReport; error?: string }) => (m.report ? resolve(m.report) : reject(new Error(m.error))));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`fuzz generator exited with ${code}`));
    });
  });
}

test('100,000 fuzzed inputs on both ports: no crash, bounded memory, every well-formed message answered', { timeout: 300_000 }, async (t) => {
  const chat = await TestClient.connect(gw.convUrl, { token: TOKEN });
  const producer = await TestClient.connect(gw.opsUrl!, { token: TOKEN });
  const watcher = await TestClient.connect(gw.opsUrl!, { token: TOKEN });
  chat.keepFrames = false;
  producer.keepFrames = false;
  watcher.keepFrames = false;
  const seen = new Set<string>();
  watcher.onEvent = (f: Frame) => {
    if (f.event === 'ops' && typeof f.payload.idempotencyKey === 'string') seen.add(f.payload.idempotencyKey);
  };
  assert.equal((await watcher.request('ops.subscribe', { sessionKey: 'well-formed' })).ok, true);
  await chatOnce(chat, 'agent:main:main', 'warm up', 'fuzz-warm');
  const mem0 = memory(gw.proc.pid!);

  const fuzzing = runGenerator({ convUrl: gw.convUrl, opsUrl: gw.opsUrl!, token: TOKEN, seed: SEED, count: COUNT, loops: 12, deadlineMs: 240_000 });
  let done = false;
  void fuzzing.finally(() => (done = true)).catch(() => {});

  // Well-formed traffic for as long as the fuzzing lasts: a chat and a delivery every
  // 20 ms (open loop, as a person and a backend would send), each checked when answered.
  const exchanges: Promise<void>[] = [];
  const keys: string[] = [];
  let n = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (done) {
        clearInterval(timer);
        resolve();
        return;
      }
      const i = n++;
      const runId = `fuzz-chat-${i}`;
      const key = `fuzz-ok-${i}`;
      keys.push(key);
      exchanges.push(
        (async () => {
          const final = chat.waitFor((f) => f.event === 'chat' && f.payload?.runId === runId && f.payload?.state !== 'delta', 60_000, false);
          const ack = await chat.request('chat.send', { sessionKey: 'agent:main:main', message: `well-formed ${i}`, idempotencyKey: runId }, 60_000);
          assert.equal(ack.ok, true, JSON.stringify(ack.error));
          assert.equal((await final).payload.state, 'final');
          const d = await producer.request('ops.deliver', { lane: 'system', sessionKey: 'well-formed', idempotencyKey: key, kind: 'check', payload: { i } }, 60_000);
          assert.equal(d.ok, true, JSON.stringify(d.error));
        })(),
      );
    }, 20);
  });
  await Promise.all(exchanges);
  const chats = n;
  const deliveries = n;
  const report = await fuzzing;
  // Each delivery was acknowledged; the subscriber has them all once a round trip on its socket has passed.
  await watcher.request('health', {});
  const missing = keys.filter((k) => !seen.has(k));

  const mem1 = memory(gw.proc.pid!);
  t.diagnostic(`inputs tried ${report.tried} on ${report.connections} connections in ${report.elapsedMs} ms (seed ${SEED})`);
  t.diagnostic(`kinds: ${JSON.stringify(report.kinds)}; sent after a closing input, never read (not counted): ${report.unread}`);
  for (const [k, n] of Object.entries(report.outcomes).sort((x, y) => y[1] - x[1])) t.diagnostic(`  ${String(n).padStart(6)}  ${k}`);
  t.diagnostic(`answered after their pong (handled by the runtime): ${JSON.stringify(report.late)}`);
  t.diagnostic(`well-formed: ${chats} chats, ${deliveries} deliveries, all answered; gateway RSS ${(mem0.rss / MiB).toFixed(0)} MiB -> ${(mem1.rss / MiB).toFixed(0)} MiB, peak ${(mem1.peak / MiB).toFixed(0)} MiB`);
  const edge = (await chat.request('status', {})).payload.lanegate.edge;
  t.diagnostic(`refusals conv ${JSON.stringify(edge.conv.refusals)}`);
  t.diagnostic(`refusals ops ${JSON.stringify(edge.ops.refusals)}`);

  assert.equal(report.timedOut, false, 'the generator finished within its deadline');
  assert.ok(report.tried >= COUNT, `tried ${report.tried}`);
  assert.equal(gw.proc.exitCode, null, 'the gateway is still running');
  assert.ok(chats > 0 && deliveries > 0);
  assert.deepEqual(missing, [], 'every well-formed delivery reached the subscriber');
  // Generous bounds: the point is "no growth with the input count", not a tight budget.
  assert.ok(mem1.rss < mem0.rss + 384 * MiB, `RSS grew by ${((mem1.rss - mem0.rss) / MiB).toFixed(0)} MiB`);
  assert.ok(mem1.peak < 1024 * MiB, `peak RSS ${(mem1.peak / MiB).toFixed(0)} MiB`);
  // Nothing the fuzzer sent made a handler throw (those are logged at error level).
  assert.doesNotMatch(gw.stdout(), /"level":(50|60)/, 'no error logged');
  assert.equal(gw.stderr(), '', 'nothing on stderr');
  await Promise.all([chat.close(), producer.close(), watcher.close()]);
});
