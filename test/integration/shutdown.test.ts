import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startGateway } from '../helpers/gateway-process.js';

// SIGTERM / SIGINT: clients get the `shutdown` event, then close 1012, and
// the process exits 0 well within 5 seconds.

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: shutdown event, close 1012, exit 0 within 5 s`, { timeout: 30_000 }, async () => {
    const gw = await startGateway({ LANEGATE_OPS_PORT: '0' });
    const conv = await TestClient.connect(gw.convUrl);
    const ops = await TestClient.connect(gw.opsUrl!);
    const shutdownEvents = [conv, ops].map((c) => c.waitFor((f) => f.event === 'shutdown', 10_000));
    const { code, ms } = await gw.stop(signal);
    assert.equal(code, 0);
    assert.ok(ms < 5000, `exited in ${ms} ms`);
    for (const e of await Promise.all(shutdownEvents)) assert.equal(typeof e.payload.reason, 'string');
    assert.equal((await conv.closed).code, 1012);
    assert.equal((await ops.closed).code, 1012);
  });
}
