import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';
import { parseProm, sampleValue, type Sample } from '../helpers/prom.js';

// GET /metrics on the conv port: the conv worker asks the main thread, which
// answers with every lanegate_* series. Traffic of known size goes in first;
// the figures must account for at least that much, and the ones that count
// exactly (deliveries, replays, refusals) must match exactly.

const CHATS = 5;
const DELIVERIES = 10;

async function scrape(httpUrl: string): Promise<{ samples: Sample[]; text: string; res: Response }> {
  const res = await fetch(`${httpUrl}/metrics`);
  const text = await res.text();
  return { samples: parseProm(text), text, res };
}

/** Resolves once `n` ops events reached the client (counted from now, signal-driven). */
function opsEvents(c: TestClient, n: number): Promise<Frame[]> {
  const got: Frame[] = [];
  return new Promise((resolve) => {
    c.onEvent = (f) => {
      if (f.event === 'ops' && got.push(f) === n) resolve(got);
    };
  });
}

describe('dual-port', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ LANEGATE_OPS_PORT: '0' });
  });
  after(async () => {
    await gw.stop();
  });

  test('series for connections, frames, queue wait, rings, refusals, replays and worker exits', { timeout: 60_000 }, async () => {
    const chat = await TestClient.connect(gw.convUrl);
    for (let i = 0; i < CHATS; i++) {
      const { final } = await chatOnce(chat, 'agent:main:main', `hello ${i}`, `metrics-chat-${i}`);
      assert.equal(final.payload.state, 'final');
    }
    const producer = await TestClient.connect(gw.opsUrl!);
    for (let i = 0; i < DELIVERIES; i++) {
      const r = await producer.request('ops.deliver', { lane: 'cron', sessionKey: 'metrics', idempotencyKey: `m-${i}`, kind: 'cron.done', payload: { i } });
      assert.equal(r.payload.seq, i + 1);
    }
    // A replay of everything retained: 10 events.
    const watcher = await TestClient.connect(gw.opsUrl!);
    const replayed = opsEvents(watcher, DELIVERIES);
    const sub = await watcher.request('ops.subscribe', { afterSeq: 0 });
    assert.equal(sub.payload.recovered, true);
    assert.equal((await replayed).length, DELIVERIES);
    // Refused frames: not JSON on the conv port, binary on the ops port.
    chat.raw('this is not json');
    assert.equal((await chat.waitFor((f) => f.type === 'res' && f.id === 'invalid')).error!.code, 'INVALID_REQUEST');
    producer.raw(Buffer.from([1, 2, 3]), true);
    await producer.waitFor((f) => f.type === 'res' && f.id === 'invalid');

    const { samples, text, res } = await scrape(gw.httpUrl);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const v = (name: string, labels: Record<string, string> = {}): number => sampleValue(samples, `lanegate_${name}`, labels);
    for (const s of samples) assert.match(s.name, /^lanegate_/, 'every series is prefixed');
    for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE'))) assert.match(line, /^# TYPE lanegate_/);

    assert.equal(v('build_info', { mode: 'dual-port' }), 1);
    assert.ok(v('connections', { port: 'conv' }) >= 1);
    assert.ok(v('connections', { port: 'ops' }) >= 2);

    // Frames: at least what was sent and answered.
    const inConv = v('frames_in_total', { lane: 'conv' });
    const inOps = v('frames_in_total', { lane: 'ops' });
    assert.ok(inConv >= CHATS, `conv frames in ${inConv}`);
    assert.ok(inOps >= DELIVERIES + 1, `ops frames in ${inOps}`);
    assert.ok(v('frames_out_total', { lane: 'conv' }) >= 2 * CHATS, 'an ack and a final per chat, at least');
    assert.ok(v('frames_out_total', { lane: 'ops' }) >= 2 * DELIVERIES + 1, 'acks, the subscribe answer, the replayed events');

    // Queue wait: one observation per request taken, buckets cumulative up to the count.
    for (const [lane, taken] of [['conv', inConv], ['ops', inOps]] as const) {
      const count = v('queue_wait_seconds_count', { lane });
      assert.equal(count, taken, `${lane}: every request taken is observed once`);
      assert.equal(v('queue_wait_seconds_bucket', { lane, le: '+Inf' }), count);
      assert.ok(v('queue_wait_seconds_sum', { lane }) >= 0);
      const buckets = samples.filter((s) => s.name === 'lanegate_queue_wait_seconds_bucket' && s.labels.lane === lane).map((s) => s.value);
      assert.equal(buckets.length, 15, '14 bounds from 50 µs to 1 s, and +Inf');
      assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b), 'cumulative');
      assert.equal(v('queue_wait_seconds_bucket', { lane, le: '0.00005' }) <= count, true);
    }

    // Rings: every inbound and outbound ring of this mode.
    for (const ring of ['conv', 'ops', 'conv-out', 'ops-out']) {
      assert.ok(v('ring_used_bytes', { ring }) >= 0);
      assert.ok(v('ring_full_stalls_total', { ring }) >= 0);
    }
    assert.equal(v('ring_capacity_bytes', { ring: 'conv' }), 1048576);
    assert.equal(v('ring_capacity_bytes', { ring: 'ops' }), 4194304);
    assert.equal(samples.filter((s) => s.name === 'lanegate_ring_used_bytes').length, 4);

    // Refusals by port and reason, from the workers' shared counters.
    assert.equal(v('refusals_total', { port: 'conv', reason: 'invalid-request' }), 1);
    assert.equal(v('refusals_total', { port: 'ops', reason: 'binary-frame' }), 1);
    assert.equal(v('refusals_total', { port: 'conv', reason: 'auth' }), 0, 'every reason is listed, zero or not');

    assert.equal(v('replays_total', { recovered: 'true' }), 1);
    assert.equal(v('replays_total', { recovered: 'false' }), 0);
    assert.equal(v('replayed_events_total'), DELIVERIES);
    assert.equal(v('ops_deliveries_total', { lane: 'cron' }), DELIVERIES);
    assert.equal(v('ops_deliveries_total', { lane: 'subagent' }), 0);
    assert.equal(v('ops_log_head_seq'), DELIVERIES);
    assert.equal(v('ops_subscribers'), 1);
    assert.equal(v('worker_exits_total', { port: 'conv' }), 0);
    assert.equal(v('worker_exits_total', { port: 'ops' }), 0);
    assert.ok(v('process_resident_memory_bytes') > 0, 'default process metrics, prefixed');

    // A second scrape sees counters that only grew.
    const again = (await scrape(gw.httpUrl)).samples;
    assert.ok(sampleValue(again, 'lanegate_frames_out_total', { lane: 'conv' }) >= v('frames_out_total', { lane: 'conv' }));
    await Promise.all([chat.close(), producer.close(), watcher.close()]);
  });

  test('the ops port serves no metrics', async () => {
    const res = await fetch(`${gw.opsUrl!.replace(/^ws/, 'http')}/metrics`);
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });
});

describe('single-port', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ LANEGATE_TASK_THREADS: '1' });
  });
  after(async () => {
    await gw.stop();
  });

  test('ops traffic on the conv socket counts on the ops lane; sub-agent results count as deliveries', { timeout: 60_000 }, async () => {
    const c = await TestClient.connect(gw.convUrl);
    const results = opsEvents(c, 2);
    assert.equal((await c.request('ops.subscribe', { sessionKey: 'agent:main:main' })).ok, true);
    await chatOnce(c, 'agent:main:main', '/spawn 2 1', 'metrics-spawn');
    assert.equal((await results).length, 2);
    const { samples } = await scrape(gw.httpUrl);
    const v = (name: string, labels: Record<string, string> = {}): number => sampleValue(samples, `lanegate_${name}`, labels);
    assert.equal(v('build_info', { mode: 'single-port' }), 1);
    assert.equal(v('ops_deliveries_total', { lane: 'subagent' }), 2);
    assert.equal(v('tasks_completed_total'), 2);
    assert.ok(v('frames_in_total', { lane: 'ops' }) >= 1, 'ops.subscribe went through the ops ring');
    assert.ok(v('frames_out_total', { lane: 'ops' }) >= 3, 'the subscribe answer and two events');
    assert.ok(v('ring_used_bytes', { ring: 'conv-ops-out' }) >= 0);
    assert.equal(samples.filter((s) => s.name === 'lanegate_connections').length, 1, 'one port');
    assert.throws(() => v('refusals_total', { port: 'ops', reason: 'auth' }), /0 samples/);
    await c.close();
  });
});
