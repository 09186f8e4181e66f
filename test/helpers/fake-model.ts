import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local OpenAI-compatible server for tests: POST /v1/chat/completions
// answered by a script the test gives, in the wire format OpenAI, vLLM and
// llama.cpp use (server-sent events, `data: {chat.completion.chunk}`, then
// `data: [DONE]`). It records every request and when each response closed,
// so a test can check what the agent sent and that an abort or a timeout
// really closed the connection.

export interface ModelRequest {
  n: number;
  body: { model: string; messages: { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }[]; stream?: boolean; tools?: { function: { name: string } }[] };
  headers: IncomingMessage['headers'];
  /** Resolves when the client closed the connection or the response ended. */
  closed: Promise<void>;
  /** The client went away before the response ended. */
  clientClosed: boolean;
}

export type Script = (req: ModelRequest, res: SseResponse) => void | Promise<void>;

/** Writes the SSE answer of one request. */
export class SseResponse {
  readonly raw: ServerResponse;
  constructor(raw: ServerResponse) {
    this.raw = raw;
  }

  start(): void {
    if (!this.raw.headersSent) this.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  }

  data(text: string): void {
    this.start();
    this.raw.write(`data: ${text}\n\n`);
  }

  chunk(delta: Record<string, unknown>, finish: string | null = null): void {
    this.data(JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'fake', choices: [{ index: 0, delta, finish_reason: finish }] }));
  }

  /** Streams `pieces` as content deltas, then a stop chunk and [DONE]. */
  text(...pieces: string[]): void {
    this.chunk({ role: 'assistant', content: '' });
    for (const p of pieces) this.chunk({ content: p });
    this.done('stop');
  }

  done(finish = 'stop'): void {
    this.chunk({}, finish);
    this.data('[DONE]');
    this.raw.end();
  }

  error(status: number, message: string, headers: Record<string, string> = {}): void {
    this.raw.writeHead(status, { 'content-type': 'application/json', ...headers });
    this.raw.end(JSON.stringify({ error: { message, type: 'test', code: null } }));
  }
}

export class FakeModel {
  readonly requests: ModelRequest[] = [];
  #server: Server;
  #script: Script;
  #waiters: { n: number; resolve: (r: ModelRequest) => void }[] = [];
  baseUrl = '';

  constructor(script: Script) {
    this.#script = script;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(script: Script): Promise<FakeModel> {
    const m = new FakeModel(script);
    await new Promise<void>((resolve) => m.#server.listen(0, '127.0.0.1', resolve));
    m.baseUrl = `http://127.0.0.1:${(m.#server.address() as AddressInfo).port}/v1`;
    return m;
  }

  set script(s: Script) {
    this.#script = s;
  }

  /** Resolves with the n-th request (1-based) once it has arrived. */
  request(n: number): Promise<ModelRequest> {
    const seen = this.requests[n - 1];
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    let text = '';
    for await (const c of req) text += String(c);
    let markClosed: () => void = () => {};
    const r: ModelRequest = { n: this.requests.length + 1, body: JSON.parse(text), headers: req.headers, closed: new Promise((resolve) => (markClosed = resolve)), clientClosed: false };
    res.on('close', () => {
      r.clientClosed = !res.writableFinished;
      markClosed();
    });
    this.requests.push(r);
    for (const w of this.#waiters.filter((x) => x.n === r.n)) w.resolve(r);
    this.#waiters = this.#waiters.filter((x) => x.n !== r.n);
    try {
      await this.#script(r, new SseResponse(res));
    } catch (e) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    }
  }

  /** The last user message of a request (what the scripts branch on). */
  static lastUser(r: ModelRequest): string {
    return [...r.body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
