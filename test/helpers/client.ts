import { pack, unpack } from 'msgpackr';
import { WebSocket, type ClientOptions } from 'ws';
import { MSGPACK_SUBPROTOCOL } from '../../src/protocol/msgpack.js';
import { checkServerFrame, preloadSchemas } from './schema.js';

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
  /** More connect params, as real clients send them (device, caps, locale, ...). */
  extra?: Record<string, unknown>;
  /** ws client options: TLS trust (`ca`), `localAddress`, `headers` such as Origin. */
  ws?: ClientOptions;
  /** Speak lanegate.msgpack.v1 (offered as the subprotocol; every frame both ways is MessagePack). */
  msgpack?: boolean;
}

type Waiter = { match: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void };

/** Thrown (and every pending wait rejected with it) when the server sends a frame the OpenClaw schema rejects. */
export class SchemaViolation extends Error {
  readonly frame: unknown;
  constructor(problem: string, frame: unknown) {
    super(`server sent a frame that fails protocol.schema.json: ${problem}\nframe: ${JSON.stringify(frame).slice(0, 2000)}`);
    this.name = 'SchemaViolation';
    this.frame = frame;
  }
}

/**
 * A minimal OpenClaw-protocol test client: handshake, request/response by
 * id, and event waiters. Everything is signal-driven (frames resolve
 * promises); every wait has a bound.
 *
 * Every frame it receives is checked against the official OpenClaw schema
 * (./schema.ts). The first invalid frame fails loudly: every pending request
 * and wait rejects with a SchemaViolation carrying the ajv errors, later
 * calls and close() reject with it, and it is rethrown as an uncaught
 * exception so a test that never waits again still fails.
 */
export class TestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  hello: Frame | null = null;
  /** Keep every received frame in `frames` (turn off for floods). */
  keepFrames = true;
  closed: Promise<{ code: number; reason: string }>;
  #n = 0;
  #pending = new Map<string, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
  /** Method of each request id still expecting a response (to pick its result schema). */
  #methods = new Map<string, string>();
  #waiters: Waiter[] = [];
  /** Frames checked against the schema so far. */
  validated = 0;
  /** The first schema violation, if any. */
  violation: SchemaViolation | null = null;
  #onEvent: ((f: Frame) => void) | null = null;

  /** Frames received as text and as binary (a MessagePack client must see binary only). */
  readonly received = { text: 0, binary: 0 };
  readonly #msgpack: boolean;

  private constructor(ws: WebSocket, msgpack = false) {
    this.ws = ws;
    this.#msgpack = msgpack;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.received.binary++;
      else this.received.text++;
      this.#onFrame((isBinary ? unpack(data) : JSON.parse(data.toString())) as Frame);
    });
  }

  /** A frame as this client's codec writes it. */
  encode(frame: unknown): string | Buffer {
    return this.#msgpack ? pack(frame) : JSON.stringify(frame);
  }

  /** Opens a socket and completes the handshake; rejects with the error frame on refusal. */
  static async connect(url: string, o: ConnectOptions = {}): Promise<TestClient> {
    preloadSchemas();
    const ws = o.msgpack ? new WebSocket(url, [MSGPACK_SUBPROTOCOL], o.ws) : new WebSocket(url, o.ws);
    const c = new TestClient(ws, o.msgpack);
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
    Object.assign(params, o.extra);
    if (o.token !== undefined || o.password !== undefined) params.auth = { ...(o.token !== undefined ? { token: o.token } : {}), ...(o.password !== undefined ? { password: o.password } : {}) };
    void challenge;
    const res = await c.request('connect', params, o.timeoutMs ?? 5000);
    if (!res.ok) throw Object.assign(new Error(`connect refused: ${res.error?.message}`), { frame: res, client: c });
    c.hello = res;
    return c;
  }

  /** Opens a socket and waits for the challenge only (for handshake tests). */
  static async open(url: string, wsOptions?: ClientOptions, msgpack = false): Promise<TestClient> {
    preloadSchemas();
    const ws = msgpack ? new WebSocket(url, [MSGPACK_SUBPROTOCOL], wsOptions) : new WebSocket(url, wsOptions);
    const c = new TestClient(ws, msgpack);
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
    this.#validate(f);
    if (this.keepFrames) this.frames.push(f);
    if (f.type === 'res' && f.id !== undefined) {
      const p = this.#pending.get(f.id);
      if (p) {
        // `agent` answers twice: the first answer resolves request(); waitFor() sees the second.
        this.#pending.delete(f.id);
        p.resolve(f);
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

  #validate(f: Frame): void {
    const id = f.type === 'res' ? f.id : undefined;
    const method = id === undefined ? undefined : this.#methods.get(id);
    // `agent` answers twice with one id: keep its method until the final answer.
    if (id !== undefined && !(method === 'agent' && f.ok && f.payload?.status === 'accepted')) this.#methods.delete(id);
    const problem = checkServerFrame(f, method);
    this.validated++;
    if (problem === null || this.violation) return;
    const v = new SchemaViolation(problem, f);
    this.violation = v;
    for (const p of this.#pending.values()) p.reject(v);
    this.#pending.clear();
    for (const w of this.#waiters.splice(0)) w.reject(v);
    throw v;
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
    if (this.violation) return Promise.reject(this.violation);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#methods.set(id, method);
      this.ws.send(this.encode({ type: 'req', id, method, params }));
    });
  }

  /** Resolves with the first frame (already received or future) that matches. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = 10_000, includePast = true): Promise<Frame> {
    if (this.violation) return Promise.reject(this.violation);
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
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
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

  /** Closes the socket; rejects if the server ever sent an invalid frame. */
  async close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    const closed = await this.closed;
    if (this.violation) throw this.violation;
    return closed;
  }
}

/** Sends chat.send and resolves with the run's final chat event (and all its events). */
export async function chatOnce(c: TestClient, sessionKey: string, message: string, runId: string, timeoutMs = 10_000): Promise<{ ack: Frame; final: Frame }> {
  const final = c.waitFor((f) => f.event === 'chat' && f.payload?.runId === runId && f.payload?.state !== 'delta', timeoutMs, true);
  const ack = await c.request('chat.send', { sessionKey, message, idempotencyKey: runId }, timeoutMs);
  return { ack, final: await final };
}
