import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestClient, type Frame } from '../helpers/client.js';
import { FakeModel, type ModelRequest } from '../helpers/fake-model.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';

// LANEGATE_AGENT=openai against a local OpenAI-compatible server speaking
// the same SSE format: the message picks what the server does, so one
// gateway meets every case: a normal stream with history and system
// prompt, a mid-stream failure, a slow stream and a stalled one, 429 then
// success, 5xx until the retries run out, a malformed chunk, a 400, a
// server that never answers, and an abort that closes the HTTP request.

const IDLE_MS = 1000;
const RETRIES = 2;
const attempts = new Map<string, number>();
const pending = new Map<string, () => void>();

let model: FakeModel;
let gw: RunningGateway;
let chat: TestClient;

before(async () => {
  model = await FakeModel.start(async (r, res) => {
    const msg = FakeModel.lastUser(r);
    const n = (attempts.get(msg) ?? 0) + 1;
    attempts.set(msg, n);
    switch (msg) {
      case 'midfail':
        res.start();
        // Once the first chunk is handed to the OS, drop the connection.
        await new Promise<void>((done) => res.raw.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'partial ' } }] })}\n\n`, () => done()));
        res.raw.socket?.destroy();
        return;
      case 'slow':
        for (const piece of ['s', 'l', 'ow']) {
          await new Promise((t) => setTimeout(t, IDLE_MS / 5));
          res.chunk({ content: piece });
        }
        return res.done();
      case 'stall':
        res.chunk({ content: 'stalling' });
        return; // nothing more: the agent's idle timeout must end it
      case 'hold': {
        res.chunk({ content: 'holding' });
        // SSE comments keep the stream alive (the idle timer never fires): only an abort can end it.
        const ping = setInterval(() => res.raw.write(': ping\n\n'), IDLE_MS / 4);
        res.raw.once('close', () => clearInterval(ping));
        pending.get(msg)?.();
        return;
      }
      case 'ratelimit':
        return n === 1 ? res.error(429, 'slow down', { 'retry-after': '0' }) : res.text('ok after ', '429');
      case 'overload':
        return res.error(503, 'overloaded');
      case 'wait-long':
        return res.error(429, 'quota', { 'retry-after': '3600' });
      case 'malformed':
        res.chunk({ content: 'x' });
        return res.data('{"choices": [ not json');
      case 'bad-request':
        return res.error(400, 'messages must not be empty');
      case 'noanswer':
        return; // no headers ever: the connect timeout must end it
      default:
        return res.text('You said: ', msg);
    }
  });
  gw = await startGateway({
    LANEGATE_AGENT: 'openai',
    LANEGATE_OPENAI_BASE_URL: model.baseUrl,
    OPENAI_API_KEY: 'test-key',
    LANEGATE_OPENAI_MODEL: 'fake-1',
    LANEGATE_SYSTEM_PROMPT: 'You are a test.',
    LANEGATE_OPENAI_IDLE_TIMEOUT_MS: String(IDLE_MS),
    LANEGATE_OPENAI_CONNECT_TIMEOUT_MS: String(IDLE_MS),
    LANEGATE_OPENAI_MAX_RETRIES: String(RETRIES),
    LANEGATE_OPENAI_RETRY_BASE_MS: '10',
    LANEGATE_OPENAI_RETRY_MAX_MS: '1000',
    LANEGATE_OPENAI_HISTORY_CHARS: '30',
  });
  chat = await TestClient.connect(gw.convUrl);
});

after(async () => {
  await chat?.close();
  await gw?.stop();
  await model?.close();
});

let runs = 0;
/** Sends a chat on its own session and resolves with the run's last chat event. */
async function send(message: string, session = message): Promise<{ final: Frame; runId: string }> {
  const runId = `r${++runs}`;
  const final = chat.waitFor((f) => f.event === 'chat' && f.payload?.runId === runId && f.payload?.state !== 'delta', 20_000);
  const ack = await chat.request('chat.send', { sessionKey: `agent:main:${session}`, message, idempotencyKey: runId });
  assert.equal(ack.ok, true, JSON.stringify(ack.error));
  return { final: await final, runId };
}

const requestsFor = (msg: string): ModelRequest[] => model.requests.filter((r) => FakeModel.lastUser(r) === msg);
const finalText = (f: Frame): string => f.payload.message.content[0].text;

test('a normal stream arrives as deltas and a final; the request carries model, key, system prompt and history', async () => {
  const { final, runId } = await send('hello', 'talk');
  assert.equal(final.payload.state, 'final');
  assert.equal(finalText(final), 'You said: hello');
  const deltas = chat.frames.filter((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'delta');
  assert.ok(deltas.length >= 2, 'streamed in pieces');
  const [r] = requestsFor('hello');
  assert.equal(r!.body.model, 'fake-1');
  assert.equal(r!.body.stream, true);
  assert.equal(r!.headers.authorization, 'Bearer test-key');
  assert.deepEqual(r!.body.messages, [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content: 'hello' },
  ]);

  // The next turn on the session sends the history, newest first within LANEGATE_OPENAI_HISTORY_CHARS (30).
  await send('again', 'talk');
  assert.deepEqual(requestsFor('again')[0]!.body.messages, [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content: 'hello' },
    { role: 'assistant', content: 'You said: hello' },
    { role: 'user', content: 'again' },
  ]);
  await send('a third message that is long enough to use up the budget', 'talk');
  const third = requestsFor('a third message that is long enough to use up the budget')[0]!.body.messages;
  assert.deepEqual(
    third.map((m) => m.content),
    ['You are a test.', 'again', 'You said: again', 'a third message that is long enough to use up the budget'],
    'the oldest turn no longer fits and is dropped',
  );
});

test('a connection that fails mid-stream ends the run with state error, not retried (part was shown)', async () => {
  const { final } = await send('midfail');
  assert.equal(final.payload.state, 'error');
  assert.match(final.payload.errorMessage, /mid-stream|closed the stream/);
  assert.equal(requestsFor('midfail').length, 1);
});

test('a slow stream (gaps below the idle timeout) completes', async () => {
  const { final } = await send('slow');
  assert.equal(final.payload.state, 'final');
  assert.equal(finalText(final), 'slow');
});

test('a stalled stream ends at the idle timeout with a readable error and closes the request', async () => {
  const { final } = await send('stall');
  assert.equal(final.payload.state, 'error');
  assert.match(final.payload.errorMessage, new RegExp(`sent nothing for ${IDLE_MS} ms`));
  const [r] = requestsFor('stall');
  await r!.closed;
  assert.equal(r!.clientClosed, true, 'the agent closed the connection');
});

test('429 with retry-after, then success: one retry, one reply', async () => {
  const { final } = await send('ratelimit');
  assert.equal(final.payload.state, 'final');
  assert.equal(finalText(final), 'ok after 429');
  assert.equal(requestsFor('ratelimit').length, 2);
});

test('5xx every time: retried a bounded number of times, then an error naming the status', async () => {
  const { final } = await send('overload');
  assert.equal(final.payload.state, 'error');
  assert.match(final.payload.errorMessage, /HTTP 503: overloaded \(after 3 attempts\)/);
  assert.equal(requestsFor('overload').length, RETRIES + 1);
});

test('a retry-after longer than the retry cap ends the run at once', async () => {
  const { final } = await send('wait-long');
  assert.equal(final.payload.state, 'error');
  assert.match(final.payload.errorMessage, /HTTP 429: quota; the server asks to wait 3600 s/);
  assert.equal(requestsFor('wait-long').length, 1);
});

test('a malformed chunk ends the run with state error', async () => {
  const { final } = await send('malformed');
  assert.equal(final.payload.state, 'error');
  assert.match(final.payload.errorMessage, /malformed chunk: "\{\\"choices\\": \[ not json"/);
});

test('a 400 is not retried; the error carries the server message', async () => {
  const { final } = await send('bad-request');
  assert.equal(final.payload.state, 'error');
  assert.match(final.payload.errorMessage, /HTTP 400: messages must not be empty/);
  assert.equal(requestsFor('bad-request').length, 1);
});

test('a server that never answers: connect timeout on each attempt, then an error', async () => {
  const { final } = await send('noanswer');
  assert.equal(final.payload.state, 'error');
  assert.match(final.payload.errorMessage, new RegExp(`did not answer within ${IDLE_MS} ms \\(after 3 attempts\\)`));
  assert.equal(requestsFor('noanswer').length, RETRIES + 1);
});

test('chat.abort cancels the HTTP request', async () => {
  const streaming = new Promise<void>((resolve) => pending.set('hold', resolve));
  const runId = `r${++runs}`;
  const final = chat.waitFor((f) => f.event === 'chat' && f.payload?.runId === runId && f.payload?.state !== 'delta', 20_000);
  await chat.request('chat.send', { sessionKey: 'agent:main:hold', message: 'hold', idempotencyKey: runId });
  await streaming;
  await chat.waitFor((f) => f.event === 'chat' && f.payload?.runId === runId && f.payload?.state === 'delta');
  const r = await model.request(model.requests.indexOf(requestsFor('hold')[0]!) + 1);
  const abort = await chat.request('chat.abort', { sessionKey: 'agent:main:hold', runId });
  assert.equal(abort.payload.aborted, true);
  assert.equal((await final).payload.state, 'aborted');
  let bound: NodeJS.Timeout | undefined;
  const closed = await Promise.race([r.closed.then(() => true), new Promise<boolean>((resolve) => (bound = setTimeout(() => resolve(false), 10 * IDLE_MS)))]);
  clearTimeout(bound);
  assert.ok(closed && r.clientClosed, 'the request was cancelled, not left streaming');
});
