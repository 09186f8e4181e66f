import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// Shared-password auth, as OpenClaw clients send it (`auth.password`, with
// the device block they always add), and the refusals' detail codes.

const PASSWORD = 'pass-word';
let gw: RunningGateway;
before(async () => {
  gw = await startGateway({ LANEGATE_PASSWORD: PASSWORD });
});
after(async () => {
  await gw.stop();
});

const device = { id: 'b'.repeat(64), publicKey: 'cHVi', signature: 'c2ln', signedAt: 1, nonce: 'n' };

async function refused(auth: { token?: string; password?: string }): Promise<{ frame: Frame; close: number }> {
  const e = await TestClient.connect(gw.convUrl, { ...auth, extra: { device } }).then(
    () => assert.fail('connect should be refused'),
    (err: { frame: Frame; client: TestClient }) => err,
  );
  return { frame: e.frame, close: (await e.client.close()).code };
}

test('auth.password connects; the device block is ignored; no deviceToken', async () => {
  const c = await TestClient.connect(gw.convUrl, { password: PASSWORD, extra: { device } });
  assert.equal(c.hello!.payload.type, 'hello-ok');
  assert.equal('deviceToken' in c.hello!.payload.auth, false);
  assert.equal((await c.request('health')).ok, true);
  await c.close();
});

test('wrong password, token instead of password, nothing: detail codes and close 1008', async () => {
  for (const [auth, code] of [
    [{ password: 'nope' }, 'AUTH_PASSWORD_MISMATCH'],
    [{ token: PASSWORD }, 'AUTH_TOKEN_MISMATCH'],
    [{}, 'AUTH_REQUIRED'],
  ] as const) {
    const { frame, close } = await refused(auth);
    assert.equal(frame.error!.code, 'INVALID_REQUEST');
    assert.equal(frame.error!.details.code, code);
    assert.equal(frame.error!.details.canRetryWithDeviceToken, false);
    assert.equal(close, 1008);
  }
});
