import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chatOnce, TestClient } from '../helpers/client.js';
import { chatWhile, runFlood } from '../helpers/flood-run.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// Single-port mode (no LANEGATE_OPS_PORT): the ops methods are served on the
// conv port, and their records still travel in the ops ring, so chats keep
// priority over deliveries that share their socket server.

let gw: RunningGateway;

before(async () => {
  gw = await startGateway({});
});
after(async () => {
  await gw.stop();
});

test('banner says the ops port is off', () => {
  assert.equal(gw.opsUrl, null);
  assert.match(gw.stdout(), /ops port off/);
});

test('ops.deliver and ops.subscribe work on the conv port and use the ops ring', { timeout: 120_000 }, async () => {
  const chat = await TestClient.connect(gw.convUrl);
  const before = (await chat.request('status', {})).payload.lanegate.rings;
  const flood = runFlood({ url: gw.convUrl, count: 20_000, window: 256, payloadBytes: 64, deadlineMs: 100_000 });
  const chats = await chatWhile(chat, flood.done, 10, 'single');
  const report = await flood.done;
  assert.equal(report.acked, 20_000);
  assert.equal(report.delivered, 20_000);
  assert.equal(report.duplicateEvents + report.duplicateAcks + report.outOfOrder, 0);
  assert.equal(chats.finals, chats.sent);
  const after = (await chat.request('status', {})).payload.lanegate;
  assert.ok(after.rings.ops.written - before.ops.written >= 20_000, 'deliveries went through the ops ring');
  assert.equal(after.mode, 'single-port');
  const { final } = await chatOnce(chat, 'agent:main:main', 'still here', 'single-last');
  assert.equal(final.payload.state, 'final');
  await chat.close();
});
