// Embedding lanegate: a Gateway in your own process, with your agent as an
// object. It starts, a WebSocket client chats with it over the conv port,
// the program watches the typed events, hands over an ops delivery, and
// stops; the process then exits on its own (nothing left open).
//
// Run: npm run build && node dist/examples/embed.js

import { Gateway, type Agent } from 'lanegate';
import { WebSocket } from 'ws';

const shout: Agent = {
  id: 'shout',
  name: 'Shouter',
  // Each yielded string is one delta of the streamed reply.
  async *reply(ctx) {
    for (const word of ctx.message.split(' ')) yield `${word.toUpperCase()} `;
  },
};

const gateway = new Gateway({ convPort: 0, agent: shout, logLevel: 'warn' });
gateway.on('connection', (e) => console.log(`connection on ${e.lane}`));
gateway.on('disconnect', (e) => console.log(`disconnect on ${e.lane}`));
gateway.on('chat', (e) => {
  if (e.state !== 'delta') console.log(`chat ${e.state}: ${e.text.trim()}`);
});
gateway.on('ops', (e) => console.log(`ops event ${e.seq} (${e.lane}/${e.kind}) for ${e.sessionKey}`));
const info = await gateway.start();
console.log(`listening on ${info.convUrl}`);

// A minimal OpenClaw-protocol client: handshake, one chat, its final event.
const ws = new WebSocket(info.convUrl);
const frames: ((f: any) => boolean)[] = [];
ws.on('message', (data) => {
  const f = JSON.parse(String(data));
  const i = frames.findIndex((match) => match(f));
  if (i >= 0) frames.splice(i, 1);
});
const next = (match: (f: any) => boolean): Promise<any> => new Promise((resolve) => frames.push((f) => match(f) && (resolve(f), true)));
const request = (id: string, method: string, params: unknown): Promise<any> => {
  const answer = next((f) => f.type === 'res' && f.id === id);
  ws.send(JSON.stringify({ type: 'req', id, method, params }));
  return answer;
};

await next((f) => f.event === 'connect.challenge');
const hello = await request('1', 'connect', {
  minProtocol: 4,
  maxProtocol: 4,
  client: { id: 'embed-example', version: '1.0.0', platform: process.platform, mode: 'cli' },
  role: 'operator',
});
const sessionKey = hello.payload.snapshot.sessionDefaults.mainSessionKey;
const final = next((f) => f.event === 'chat' && f.payload.state === 'final');
await request('2', 'chat.send', { sessionKey, message: 'hello from the embedding example', idempotencyKey: 'embed-1' });
console.log(`client got: ${(await final).payload.message.content[0].text.trim()}`);

// An in-process producer hands over a result, as ops.deliver would.
const { seq } = await gateway.deliver({ sessionKey, kind: 'report.ready', payload: { pages: 3 } });
console.log(`delivered as seq ${seq}`);

ws.close();
await new Promise((resolve) => ws.once('close', resolve));
await gateway.stop();
console.log('stopped');
