import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { chatWhile, runFlood } from '../helpers/flood-run.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// The same flood through 64 KiB inbound rings: the ops ring fills over and
// over, the ops worker stops reading its senders, and still nothing is lost.

const COUNT = 100_000;
let gw: RunningGateway;

before(async () => {
  gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_CONV_RING_BYTES: '65536', LANEGATE_OPS_RING_BYTES: '65536' });
});
after(async () => {
  await gw.stop();
});

test('with 64 KiB rings backpressure engages and the flood still loses nothing', { timeout: 180_000 }, async (t) => {
  const chat = await TestClient.connect(gw.convUrl);
  const flood = runFlood({ url: gw.opsUrl!, count: COUNT, window: 512, payloadBytes: 512, deadlineMs: 150_000 });
  const chats = await chatWhile(chat, flood.done, 10, 'bp');
  const report = await flood.done;

  assert.equal(report.timedOut, false);
  assert.equal(report.acked, COUNT);
  assert.equal(report.duplicateAcks, 0);
  assert.equal(report.delivered, COUNT);
  assert.equal(report.duplicateEvents, 0);
  assert.equal(report.outOfOrder, 0);
  assert.equal(chats.finals, chats.sent);

  const lg = (await chat.request('status', {})).payload.lanegate;
  assert.equal(lg.rings.ops.capacity, 65536);
  assert.ok(lg.rings.ops.fullStalls > 0, `the ops ring filled (stalls: ${lg.rings.ops.fullStalls})`);
  t.diagnostic(`ops ring full stalls ${lg.rings.ops.fullStalls}; deliveries/s ${report.deliveriesPerSec}; conv queue wait p50 ${lg.queueWaitMs.conv.p50} ms p99 ${lg.queueWaitMs.conv.p99} ms`);
  await chat.close();
});
