import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { chatWhile, pct, runFlood } from '../helpers/flood-run.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// Dual-port mode: 100,000 ops deliveries flood the ops port (from their own
// process) while a chat client sends chat.send every 10 ms on the conv port.

const COUNT = 100_000;
let gw: RunningGateway;

before(async () => {
  gw = await startGateway({ LANEGATE_OPS_PORT: '0' });
});
after(async () => {
  await gw.stop();
});

test('a 100k ops.deliver flood loses nothing and every chat gets its final', { timeout: 180_000 }, async (t) => {
  const chat = await TestClient.connect(gw.convUrl);
  const flood = runFlood({ url: gw.opsUrl!, count: COUNT, window: 256, payloadBytes: 64, deadlineMs: 150_000 });
  const chats = await chatWhile(chat, flood.done, 10, 'flood');
  const report = await flood.done;

  assert.equal(report.timedOut, false, 'flood finished in time');
  assert.equal(report.sent, COUNT);
  assert.equal(report.acked, COUNT, 'every delivery acknowledged');
  assert.equal(report.duplicateAcks, 0, 'no delivery acknowledged twice');
  assert.equal(report.ackSeqsUnique, true, 'every ack has its own seq');
  assert.equal(report.delivered, COUNT, 'every delivery reached the subscriber');
  assert.equal(report.duplicateEvents, 0, 'no delivery reached the subscriber twice');
  assert.equal(report.outOfOrder, 0, 'events arrived in seq order');
  assert.ok(chats.sent > 0);
  assert.equal(chats.finals, chats.sent, 'every chat got its final');

  const status = await chat.request('status', {});
  const lg = status.payload.lanegate;
  assert.equal(lg.ops.headSeq, COUNT);
  t.diagnostic(
    `deliveries/s ${report.deliveriesPerSec}; chats ${chats.sent}; conv queue wait p50 ${lg.queueWaitMs.conv.p50} ms p99 ${lg.queueWaitMs.conv.p99} ms; ` +
      `ops queue wait p50 ${lg.queueWaitMs.ops.p50} ms p99 ${lg.queueWaitMs.ops.p99} ms; client chat round trip p50 ${pct(chats.roundTrips, 0.5)} ms p99 ${pct(chats.roundTrips, 0.99)} ms`,
  );
  await chat.close();
});
