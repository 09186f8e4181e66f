import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chatOnce, TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// Slow consumers: a client that stops reading (its socket paused here, so
// the kernel buffers fill and then the worker's) must not cost other
// clients anything. On the conv port it is closed with 1008 "slow
// consumer"; an ops subscriber instead has live events skipped, sees the
// gap in its frame seq, and resumes from the ops log with afterSeq.

const CAP = 256 * 1024;
let gw: RunningGateway;

before(async () => {
  gw = await startGateway({
    LANEGATE_OPS_PORT: '0',
    LANEGATE_CONV_MAX_BUFFERED_BYTES: String(CAP),
    LANEGATE_OPS_MAX_BUFFERED_BYTES: String(CAP),
  });
});
after(async () => {
  await gw.stop();
});

test('conv: a client that does not read its chat events is closed with 1008 "slow consumer"; the chatting client is not slowed', async () => {
  const chatter = await TestClient.connect(gw.convUrl);
  const slow = await TestClient.connect(gw.convUrl);
  assert.equal((await slow.request('sessions.subscribe', {})).ok, true);
  slow.keepFrames = false;
  slow.ws.pause(); // stops reading: what the gateway sends piles up
  const closed = gw.waitForOutput(/slow consumer: closing/, 60_000);
  let done = false;
  void closed.then(() => (done = true));
  // Each 200 KB chat streams about 1 MB of events to a session subscriber.
  let chats = 0;
  for (; chats < 200 && !done; chats++) {
    const { final } = await chatOnce(chatter, 'agent:main:main', `${chats} ${'x'.repeat(200_000)}`, `slow-conv-${chats}`, 30_000);
    assert.equal(final.payload.state, 'final');
  }
  await closed;
  slow.ws.resume();
  const c = await slow.closed;
  assert.equal(c.code, 1008);
  assert.equal(c.reason, 'slow consumer');
  const { final } = await chatOnce(chatter, 'agent:main:main', 'after the slow one left', 'slow-conv-after');
  assert.equal(final.payload.state, 'final');
  const r = (await chatter.request('status', {})).payload.lanegate.edge.conv.refusals;
  assert.equal(r['slow-consumer'], 1);
  await chatter.close();
});

test('ops: a subscriber that does not read has events skipped, sees the gap, and resumes with afterSeq; the other subscriber gets everything', { timeout: 120_000 }, async (t) => {
  // 1000 x 64 KiB: far more than loopback's kernel buffers (a few MiB each way) plus the cap.
  const N = 1000;
  const TOTAL = N + 1; // the last one is delivered after the slow subscriber reads again
  const pad = 'p'.repeat(64 * 1024);
  const fast = await TestClient.connect(gw.opsUrl!, { clientId: 'fast' });
  const slow = await TestClient.connect(gw.opsUrl!, { clientId: 'slow' });
  const producer = await TestClient.connect(gw.opsUrl!, { clientId: 'producer' });
  for (const c of [fast, slow, producer]) c.keepFrames = false;
  const base = (await fast.request('ops.subscribe', {})).payload.headSeq as number;
  assert.equal((await slow.request('ops.subscribe', {})).ok, true);

  // The fast subscriber checks order and frame seq contiguity as it goes.
  let fastCount = 0;
  let fastFrameGaps = 0;
  let fastLastFrame = 0;
  let fastDone: () => void = () => {};
  const fastAll = new Promise<void>((r) => (fastDone = r));
  fast.onEvent = (f: Frame) => {
    if (f.event !== 'ops') return;
    if (fastLastFrame && f.seq !== fastLastFrame + 1) fastFrameGaps++;
    fastLastFrame = f.seq!;
    assert.equal(f.payload.seq, base + fastCount + 1, 'fast subscriber: every event, in order');
    if (++fastCount === N) fastDone();
  };

  // The slow subscriber: records what it got; a jump in the frame seq is a skipped event.
  let lastOps = base;
  let lastFrame = 0;
  let frameGaps = 0;
  let resyncing = false;
  let duplicates = 0;
  let sawMarker: () => void = () => {};
  const marker = new Promise<void>((r) => (sawMarker = r));
  slow.onEvent = (f: Frame) => {
    if (f.event !== 'ops') return;
    if (f.payload.idempotencyKey === 'slow-ops-marker') sawMarker();
    if (lastFrame && f.seq !== lastFrame + 1) frameGaps++;
    lastFrame = f.seq!;
    if (resyncing) return; // from the subscription being replaced: replayed after lastOps anyway
    if (f.payload.seq <= lastOps) duplicates++;
    else if (f.payload.seq === lastOps + 1) lastOps++;
  };

  slow.ws.pause();
  // A few deliveries in flight at a time: the fast subscriber shares this process, and
  // one 40 MB burst of sends would keep it from reading (it would be slow too).
  let next = 0;
  const deliver = async (): Promise<void> => {
    while (next < N) {
      const i = next++;
      const a = await producer.request('ops.deliver', { lane: 'subagent', sessionKey: 's', idempotencyKey: `slow-ops-${i}`, kind: 'k', payload: { i, pad } }, 60_000);
      assert.ok(a.ok && a.payload.accepted);
    }
  };
  await Promise.all([deliver(), deliver(), deliver(), deliver()]);
  await fastAll;
  assert.equal(fastFrameGaps, 0, 'the fast subscriber saw no gap');

  // Every event was dispatched to both (one record fans out to both), so the skips are counted by now.
  const skipped = (await fast.request('status', {})).payload.lanegate.edge.ops.refusals['events-skipped'] as number;
  assert.ok(skipped > 0, 'events were skipped for the slow subscriber');

  // Reading again: a reply is queued behind everything already buffered, so its answer means the backlog is read.
  slow.ws.resume();
  assert.equal((await slow.request('health', {})).ok, true);
  assert.equal(slow.ws.readyState, slow.ws.OPEN, 'not closed: ops subscribers are skipped, not cut');
  assert.ok(lastOps < base + N, 'the slow subscriber missed events');
  // A skipped tail shows at the next event (or tick) the subscriber receives.
  const last = await producer.request('ops.deliver', { lane: 'cron', sessionKey: 's', idempotencyKey: 'slow-ops-marker', kind: 'k', payload: {} });
  assert.equal(last.payload.seq, base + TOTAL);
  await marker;
  assert.ok(frameGaps > 0, 'the skipped events show as a gap in the frame seq');

  // Resume from the ops log: nothing was lost on the server side.
  let resyncs = 0;
  while (lastOps < base + TOTAL && resyncs < 2000) {
    const before = lastOps;
    const gapsBefore = frameGaps;
    resyncing = true;
    const r = await slow.request('ops.subscribe', { afterSeq: lastOps });
    resyncing = false;
    resyncs++;
    assert.equal(r.payload.recovered, true);
    // Read until the replay stops making progress (a reply marks what has been read), then resubscribe if short.
    for (let i = 0; i < 2000 && lastOps < base + TOTAL && frameGaps === gapsBefore; i++) {
      const seen = lastOps;
      await slow.request('health', {});
      if (lastOps === seen && lastOps !== before) break;
    }
  }
  assert.equal(lastOps, base + TOTAL, `the slow subscriber caught up from the log (${resyncs} resubscriptions)`);
  assert.equal(duplicates, 0);
  t.diagnostic(`${skipped} events skipped for the slow subscriber; caught up after ${resyncs} resubscription(s)`);
  await Promise.all([fast.close(), slow.close(), producer.close()]);
});
