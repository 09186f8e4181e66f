import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';
import { checkServerFrame } from '../helpers/schema.js';

// The published openclaw-node client (pinned devDependency), unmodified,
// against lanegate: connect, chat() streaming, chatSync(), health.
//
// Node 20 has no global WebSocket. openclaw-node would fall back to `ws`
// for the socket, but its send() compares readyState with the *global*
// WebSocket.OPEN and throws a ReferenceError without one. So ws is made
// the global before the client module is loaded (hence the dynamic import).
// On Node 22+ the built-in WebSocket is used as is.
if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined') {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
}
const { OpenClawClient } = await import('openclaw-node');
type Client = InstanceType<typeof OpenClawClient>;

const TOKEN = 'node-client-token';
const KEY = 'agent:main:main';
let gw: RunningGateway;
let home: string;
let client: Client;
/** Schema problems in frames the client received (its own handler swallows throws, so they are collected). */
const problems: string[] = [];
let received = 0;

before(async () => {
  gw = await startGateway({ LANEGATE_TOKEN: TOKEN });
  home = mkdtempSync(join(tmpdir(), 'lanegate-openclaw-node-'));
  client = new OpenClawClient({
    url: gw.convUrl,
    token: TOKEN,
    // Its device identity (and any deviceToken) goes here, not into the real HOME.
    deviceIdentityPath: join(home, 'device-identity.json'),
    autoReconnect: false,
  });
  // `_raw` is emitted for every parsed frame (openclaw-node 0.14.0, pinned).
  client.on('_raw', (frame: { type?: string; payload?: { type?: string } }) => {
    received++;
    const problem = checkServerFrame(frame, frame.type === 'res' && frame.payload?.type === 'hello-ok' ? 'connect' : undefined);
    if (problem) problems.push(problem);
  });
});
after(async () => {
  await client?.disconnect();
  await gw.stop();
  rmSync(home, { recursive: true, force: true });
});

test('connects; hello-ok lists the methods and issues no deviceToken', async () => {
  const hello = await client.connect();
  assert.equal(hello.type, 'hello-ok');
  assert.equal(hello.protocol, 4);
  assert.equal(client.hasMethod('agent'), true);
  assert.equal(client.hasMethod('chat.send'), true);
  assert.equal(hello.auth?.deviceToken, undefined);
  // openclaw-node persists a deviceToken and would then prefer it over the configured token.
  const identity = JSON.parse(readFileSync(join(home, 'device-identity.json'), 'utf8')) as Record<string, unknown>;
  assert.equal('deviceToken' in identity, false);
});

test('chat() streams the reply as deltas between agent_start and agent_end', async () => {
  const message = 'streamed through openclaw-node';
  const chunks: { type: string; text: string }[] = [];
  for await (const chunk of client.chat(message, { sessionKey: KEY })) chunks.push({ type: chunk.type, text: 'text' in chunk ? chunk.text : '' });
  const texts = chunks.filter((c) => c.type === 'text').map((c) => c.text);
  assert.ok(texts.length >= 2, `several deltas, got ${JSON.stringify(texts)}`);
  assert.equal(texts.join(''), message);
  assert.equal(chunks[0]!.type, 'agent_start');
  assert.deepEqual(
    chunks.slice(-2).map((c) => c.type),
    ['agent_end', 'done'],
  );
  assert.equal(chunks.some((c) => c.type === 'error'), false);
});

test('chatSync() returns the whole reply; without a sessionKey it uses the main session', async () => {
  assert.equal(await client.chatSync('hello from chatSync'), 'hello from chatSync');
  const history = (await client.sessions.history(KEY, { limit: 10 })) as { messages: { role: string; content: { text: string }[] }[] };
  assert.deepEqual(
    history.messages.slice(-2).map((m) => [m.role, m.content[0]!.text]),
    [
      ['user', 'hello from chatSync'],
      ['assistant', 'hello from chatSync'],
    ],
  );
});

test('health() answers, and every frame the client received validated', async () => {
  const h = await client.health();
  assert.equal(h.ok, true);
  assert.ok(received > 10, `frames seen: ${received}`);
  assert.deepEqual(problems, []);
});
