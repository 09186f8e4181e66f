import { WebSocket, type ClientOptions } from 'ws';

export interface Frame {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: any;
  error?: { code: string; message: string; details?: any; retryable?: boolean; retryAfterMs?: number };
  event?: string;
  seq?: number;
}

export interface ConnectOptions {
  token?: string;
  password?: string;
  scopes?: string[];
  clientId?: string;
  mode?: string;
  minProtocol?: number;
  maxProtocol?: number;
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** ws client options: TLS trust (`ca`), `localAddress`, `headers` such as Origin. */
  ws?: ClientOptions;
}

type Waiter = { match: (f: Frame) => boolean; resolve: (f: Frame) => void };

/**
 * A minimal OpenClaw-protocol test client: handshake, request/response by
 * id, and event waiters. Everything is signal-driven (frames resolve
 * promises); every wait has a bound.
 */
export class TestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  hello: Frame | null = null;
  /** Keep every received frame in `frames` (turn off for floods). */
  keepFrames = true;
  closed: Promise<{ code: number; reason: string }>;
  #n = 0;
  #pending = new Map<string, (f: Frame) => void>();
  #waiters: Waiter[] = [];
  #onEvent: ((f: Frame) => void) | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => this.#onFrame(JSON.parse(data.toString()) as Frame));
  }

  /** Opens a socket and completes the handshake; rejects with the error frame on refusal. */
  static async connect(url: string, o: ConnectOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, o.ws);
    const c = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const challenge = await c.waitFor((f) => f.event === 'connect.challenge', o.timeoutMs ?? 5000);
    const params: Record<string, unknown> = {
      minProtocol: o.minProtocol ?? 4,
      maxProtocol: o.maxProtocol ?? 4,
      client: { id: o.clientId ?? 'test', version: '1.0.0', platform: process.platform, mode: o.mode ?? 'test' },
      role: 'operator',
    };
    if (o.scopes) params.scopes = o.scopes;
    if (o.token !== undefined || o.password !== undefined) params.auth = { ...(o.token !== undefined ? { token: o.token } : {}), ...(o.password !== undefined ? { password: o.password } : {}) };
    void challenge;
    const res = await c.request('connect', params, o.timeoutMs ?? 5000);
    if (!res.ok) throw Object.assign(new Error(`connect refused: ${res.error?.message}`), { frame: res, client: c });
    c.hello = res;
    return c;
  }

  /** Opens a socket and waits for the challenge only (for handshake tests). */
  static async open(url: string, wsOptions?: ClientOptions): Promise<TestClient> {
    const ws = new WebSocket(url, wsOptions);
    const c = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await c.waitFor((f) => f.event === 'connect.challenge', 5000);
    return c;
  }

  set onEvent(fn: (f: Frame) => void) {
    this.#onEvent = fn;
  }

  #onFrame(f: Frame): void {
    if (this.keepFrames) this.frames.push(f);
    if (f.type === 'res' && f.id !== undefined) {
      const p = this.#pending.get(f.id);
      if (p) {
        // `agent` answers twice: keep waiting past an "accepted" answer only when asked to.
        this.#pending.delete(f.id);
        p(f);
      }
    }
    if (f.type === 'event') this.#onEvent?.(f);
    for (const w of [...this.#waiters]) {
      if (w.match(f)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  }

  nextId(): string {
    return `t${++this.#n}`;
  }

  /** Sends a request and resolves with its (first) response. */
  request(method: string, params?: unknown, timeoutMs = 10_000): Promise<Frame> {
    const id = this.nextId();
    return this.requestWithId(id, method, params, timeoutMs);
  }

  requestWithId(id: string, method: string, params: unknown, timeoutMs = 10_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  /** Resolves with the first frame (already received or future) that matches. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = 10_000, includePast = true): Promise<Frame> {
    if (includePast) {
      const seen = this.frames.find(match);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Sends raw data (bad-input tests). */
  raw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    return this.closed;
  }
}

/** Sends chat.send and resolves with the run's final chat event (and all its events). */
export async function chatOnce(c: TestClient, sessionKey: string, message: string, runId: string, timeoutMs = 10_000): Promise<{ ack: Frame; final: Frame }> {
  const final = c.waitFor((f) => f.event === 'chat' && f.payload?.runId === runId && f.payload?.state !== 'delta', timeoutMs, true);
  const ack = await c.request('chat.send', { sessionKey, message, idempotencyKey: runId }, timeoutMs);
  return { ack, final: await final };
}
