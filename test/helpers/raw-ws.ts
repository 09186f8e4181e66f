import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';

// A WebSocket client written by hand, for tests that must send what a real
// client library never would: lying length headers, bad opcodes, invalid
// UTF-8, stray continuation frames, raw garbage. It parses what the server
// sends back (unmasked frames) into frames and the close code.

export const Op = { CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  fin?: boolean;
  /** RSV1..3 bits (0..7). */
  rsv?: number;
  /** Clients must mask; false sends an unmasked frame (a protocol error). */
  mask?: boolean;
  /** Declared length when it should differ from the payload's (a header that lies). */
  declaredLength?: number;
}

/** Encodes one client frame. */
export function encodeFrame(f: FrameSpec): Buffer {
  const payload = typeof f.payload === 'string' ? Buffer.from(f.payload) : (f.payload ?? Buffer.alloc(0));
  const len = f.declaredLength ?? payload.length;
  const mask = f.mask ?? true;
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | (f.opcode & 0x0f)];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(len));
    head.push(m | 127, ...b);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

export class RawWs {
  readonly socket: Socket;
  /** Frames from the server, in order, not yet taken. */
  readonly frames: ServerFrame[] = [];
  /** The code of the server's close frame (1005 when it had none), or null. */
  closeCode: number | null = null;
  /** Resolves when the TCP connection is gone. */
  readonly ended: Promise<void>;
  #buf: Buffer = Buffer.alloc(0);
  #order = new WeakMap<ServerFrame, number>();
  #n = 0;
  #onFrame: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.ended = new Promise((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    // Each input is a few small writes answered at once: Nagle would hold them for the server's delayed ACK.
    socket.setNoDelay(true);
  }

  /**
   * Opens TCP to a ws:// URL and upgrades. Resolves with the client, or with
   * the HTTP status when the server refused the upgrade.
   */
  static open(url: string, opts: { headers?: Record<string, string>; localAddress?: string } = {}): Promise<RawWs | { status: number }> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: u.hostname, port: Number(u.port), ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
      let head = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head.subarray(0, end).toString())?.[1] ?? 0);
        if (status !== 101) {
          socket.destroy();
          resolve({ status });
          return;
        }
        const c = new RawWs(socket);
        socket.on('data', (x: Buffer) => c.#data(x));
        c.#data(head.subarray(end + 4));
        resolve(c);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('connect', () => {
        const extra = Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        socket.write(
          `GET ${u.pathname || '/'} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
        );
      });
    });
  }

  get open(): boolean {
    return !this.socket.destroyed && this.closeCode === null;
  }

  send(...frames: FrameSpec[]): void {
    if (this.socket.writable) this.socket.write(frames.length === 1 ? encodeFrame(frames[0]!) : Buffer.concat(frames.map(encodeFrame)));
  }

  text(s: string | Buffer): void {
    this.send({ opcode: Op.TEXT, payload: s });
  }

  raw(bytes: Buffer): void {
    if (this.socket.writable) this.socket.write(bytes);
  }

  /** Resolves with the next server frame matching `match`, or null once the connection is gone. */
  async next(match: (f: ServerFrame) => boolean = () => true): Promise<ServerFrame | null> {
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (this.socket.destroyed) return null;
      await new Promise<void>((r) => {
        const done = (): void => {
          this.#onFrame = null;
          this.socket.off('close', done);
          r();
        };
        this.#onFrame = done;
        this.socket.once('close', done);
      });
    }
  }

  /**
   * Waits for the first frame matching `match`; takes it and every frame
   * before it. `hit` is null when the connection ended first (then `before`
   * holds whatever arrived).
   */
  async takeUntil(match: (f: ServerFrame) => boolean): Promise<{ before: ServerFrame[]; hit: ServerFrame | null }> {
    const hit = await this.next(match);
    if (hit === null) return { before: this.frames.splice(0), hit };
    // next() removed the hit; frames that arrived before it are still first in line.
    const i = this.#order.get(hit) ?? 0;
    const before: ServerFrame[] = [];
    while (this.frames.length > 0 && (this.#order.get(this.frames[0]!) ?? 0) < i) before.push(this.frames.shift()!);
    return { before, hit };
  }

  /** Resolves with the server's close code once the connection is gone (null: cut without a close frame). */
  async closed(): Promise<number | null> {
    await this.ended;
    return this.closeCode;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #data(d: Buffer): void {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + len) return;
      const f = { opcode: b[0]! & 0x0f, payload: Buffer.from(b.subarray(at, at + len)) };
      this.#buf = b.subarray(at + len);
      if (f.opcode === Op.CLOSE) {
        this.closeCode = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        // Answer the close so the server ends the TCP connection at once.
        if (this.socket.writable) this.socket.end(encodeFrame({ opcode: Op.CLOSE, payload: f.payload.subarray(0, 2) }));
      } else {
        this.#order.set(f, this.#n++);
        this.frames.push(f);
      }
      this.#onFrame?.();
    }
  }
}
