import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chatOnce, TestClient } from '../helpers/client.js';
import { startGateway } from '../helpers/gateway-process.js';

// An agent's `ctx.history` is the session's transcript as it was when the
// chat arrived, this message excluded, even when it is read later and the
// message's own append has trimmed the session to LANEGATE_HISTORY_LIMIT.

const AGENT = fileURLToPath(new URL('../fixtures/script-agent.js', import.meta.url));
const TOKEN = 'history-test-token';

test('the agent sees the full transcript before its message, read after a turn, with the session at its limit', async (t) => {
  const gw = await startGateway({ LANEGATE_AGENT: AGENT, LANEGATE_HISTORY_LIMIT: '3', LANEGATE_TOKEN: TOKEN });
  t.after(() => gw.stop());
  const c = await TestClient.connect(gw.convUrl, { token: TOKEN });
  t.after(() => c.close());
  const key = 'agent:main:history';
  await chatOnce(c, key, 'one', 'h1');
  await chatOnce(c, key, 'two', 'h2'); // the session now keeps: assistant one, user two, assistant two
  const { final } = await chatOnce(c, key, '/history', 'h3');
  assert.equal(final.payload.state, 'final');
  assert.equal(final.payload.message.content[0].text, 'history 3: assistant one | user two | assistant two');
  const h = await c.request('chat.history', { sessionKey: key });
  assert.deepEqual(
    h.payload.messages.map((m: { content: { text: string }[] }) => m.content[0]!.text),
    ['two', '/history', 'history 3: assistant one | user two | assistant two'],
    'the session itself still keeps 3',
  );
});
