import type { WebSocket } from 'ws';
import { Close } from '../protocol/frames.js';
import type { ClientInfo } from '../protocol/handshake.js';
import type { ScopeName } from '../protocol/methods.js';
import { MSGPACK_SUBPROTOCOL, msgpackEventOpen, msgpackEventWithSeq, msgpackFromJson } from '../protocol/msgpack.js';
import type { ConnRate } from './limits.js';

/** Event frames that may be skipped for a consumer that cannot keep up (their prefix as sent by the runtime). */
const SKIPPABLE = [Buffer.from('{"type":"event","event":"ops",'), Buffer.from('{"type":"event","event":"tick",')];
const skippable = (open: Buffer): boolean => SKIPPABLE.some((p) => open.length >= p.length && open.compare(p, 0, p.length, 0, p.length) === 0);

/** What a connection does when its client reads slower than it is sent to. */
export interface OutPolicy {
  /** Bytes queued in ws (not yet taken by the kernel) beyond which the client is slow. */
  maxBuffered: number;
  /** An ops/tick event was skipped (its frame seq is used up, so the client sees the gap). */
  onSkip(conn: Conn): void;
  /** A frame that cannot be skipped met a full buffer: the connection is being closed. */
  onSlow(conn: Conn): void;
}

/** A connection's deadlines: the handshake, and a JWT's expiry. */
export type ConnTimer = 'handshake' | 'expiry';

/** Corked writes past this size are flushed at once (see Conn.cork). */
const CORK_FLUSH_BYTES = 64 * 1024;

/** How a connection's frames are written: JSON text (the default), or MessagePack binary (the ops port's subprotocol). */
export type FrameCodec = 'json' | 'msgpack';

/** Options of the per-message deflate that ws negotiated with a client (the ops port only). */
export interface DeflatePolicy {
  /** Frames shorter than this many bytes go uncompressed. */
  threshold: number;
}

/** Why a connection's socket is not being read; reading resumes when no reason is left. */
export const Pause = {
  /** Its record is held: the conv ring is full. */
  CONV_RING: 1,
  /** Its record is held: the ops ring is full. */
  OPS_RING: 2,
  /** The ops worker yields the CPU while a conversation request is in flight. */
  CONV_GATE: 4,
} as const;

const UNLIMITED: OutPolicy = { maxBuffered: Infinity, onSkip: () => {}, onSlow: () => {} };

/** Who a connection is, fixed once its `connect` succeeded. */
export interface ConnIdentity {
  client: ClientInfo;
  role: string;
  scopes: ReadonlySet<ScopeName>;
}

const NO_SCOPES: ReadonlySet<ScopeName> = new Set();

/**
 * Per-connection state, owned by the socket worker that accepted it. Its
 * state changes only through these methods: the identity is set once, the
 * event counter, pauses, timers and ping state are its own.
 */
export class Conn {
  readonly id: number;
  readonly ws: WebSocket;
  readonly remote: string;
  /** Its message rate, per inbound lane. */
  readonly rate: ConnRate;
  /** Chosen at the upgrade (Sec-WebSocket-Protocol); every frame, both ways, uses it. */
  readonly codec: FrameCodec;
  /** Frames from this size on are compressed; Infinity: deflate was not negotiated. */
  readonly #compressFrom: number;
  #identity: ConnIdentity | null = null;
  /** Per-connection event counter (the frame-level `seq` of event frames). */
  #eventSeq = 1;
  /** Bit per inbound lane this connection has written to (OPEN sent there). */
  #lanesUsed = 0;
  /** Answered the last ping. */
  #alive = true;
  /** Pending deadlines (handshake, token expiry), cleared when it closes. */
  readonly #timers = new Map<ConnTimer, NodeJS.Timeout>();
  /** Ops/tick events skipped because the client could not keep up. */
  #skipped = 0;
  readonly #out: OutPolicy;
  #pauses = 0;
  #corked = false;
  /** Bytes written since the socket was corked (flushed every CORK_FLUSH_BYTES). */
  #corkedBytes = 0;

  constructor(id: number, ws: WebSocket, remote: string, rate: ConnRate, out: OutPolicy = UNLIMITED, deflate: DeflatePolicy | null = null) {
    this.id = id;
    this.ws = ws;
    this.remote = remote;
    this.rate = rate;
    this.#out = out;
    this.codec = ws.protocol === MSGPACK_SUBPROTOCOL ? 'msgpack' : 'json';
    this.#compressFrom = deflate && ws.extensions.includes('permessage-deflate') ? deflate.threshold : Infinity;
    ws.on('pong', () => {
      this.#alive = true;
    });
  }

  /** Set once, when `connect` succeeded. */
  authenticate(identity: ConnIdentity): void {
    this.#identity = identity;
  }

  get identity(): ConnIdentity | null {
    return this.#identity;
  }

  get scopes(): ReadonlySet<ScopeName> {
    return this.#identity?.scopes ?? NO_SCOPES;
  }

  /** Ops/tick events skipped so far because the client could not keep up. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Records that it wrote to inbound lane `bit`; true the first time (its OPEN record is due). */
  useLane(bit: number): boolean {
    if (this.#lanesUsed & bit) return false;
    this.#lanesUsed |= bit;
    return true;
  }

  usedLane(bit: number): boolean {
    return (this.#lanesUsed & bit) !== 0;
  }

  /** Runs `fn` after `ms` unless cleared or closed first (one timer per kind). */
  setTimer(kind: ConnTimer, ms: number, fn: () => void): void {
    this.clearTimer(kind);
    this.#timers.set(
      kind,
      setTimeout(() => {
        this.#timers.delete(kind);
        fn();
      }, ms),
    );
  }

  clearTimer(kind: ConnTimer): void {
    const t = this.#timers.get(kind);
    if (t === undefined) return;
    clearTimeout(t);
    this.#timers.delete(kind);
  }

  /**
   * The tick's liveness check: false when the last ping went unanswered (the
   * caller cuts the connection); otherwise pings again and returns true.
   */
  ping(): boolean {
    if (!this.#alive) return false;
    this.#alive = false;
    this.ws.ping();
    return true;
  }

  get authenticated(): boolean {
    return this.#identity !== null;
  }

  /**
   * Sends a whole text frame (string, or UTF-8 bytes sent as text). Replies
   * get twice the outbound cap before the client counts as slow: events
   * beyond the cap are skipped (or close), so a subscriber that fell behind
   * still has room for the answer to its `ops.subscribe {afterSeq}`, while a
   * client that keeps asking without reading is still cut off.
   */
  send(frame: string | Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.#backlog() > 2 * this.#out.maxBuffered) return this.#slow();
    if (this.codec === 'json') return this.#write(frame);
    const packed = this.#encode(() => msgpackFromJson(frame));
    if (packed) this.#write(packed);
  }

  /**
   * A frame's MessagePack form. The runtime writes only JSON it made, so a
   * failure here is a bug, not the client's doing: this connection is
   * closed (1011) rather than the worker taken down.
   */
  #encode(fn: () => Buffer): Buffer | null {
    try {
      return fn();
    } catch {
      this.close(Close.INTERNAL, 'frame could not be encoded as MessagePack');
      return null;
    }
  }

  /**
   * Sends an event frame that lacks its seq: appends this connection's
   * counter. Over the outbound cap, an ops or tick event is skipped but
   * still uses up its seq, so the client sees a gap in the frame seq and
   * can resume from the ops log with `ops.subscribe {afterSeq}`; any other
   * event closes the connection (a chat stream has no such resume).
   * `packed` gives the MessagePack form of `open` (msgpackEventOpen) for a
   * MessagePack connection, so a fan-out encodes it once.
   */
  sendEvent(open: Buffer, packed: () => Buffer = () => msgpackEventOpen(open)): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.#backlog() > this.#out.maxBuffered) {
      if (!skippable(open)) return this.#slow();
      this.#eventSeq++;
      this.#skipped++;
      this.#out.onSkip(this);
      return;
    }
    if (this.codec === 'msgpack') {
      const open = this.#encode(packed);
      if (open) this.#write(msgpackEventWithSeq(open, this.#eventSeq++));
      return;
    }
    const tail = Buffer.from(`,"seq":${this.#eventSeq++}}`);
    this.#write(Buffer.concat([open, tail]));
  }

  /** What the client has not taken yet (ws and socket buffers, corked writes included). */
  #backlog(): number {
    return this.ws.bufferedAmount;
  }

  #write(frame: string | Buffer): void {
    const bytes = this.#corked || this.#compressFrom !== Infinity ? (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length) : 0;
    // Small frames (acks, most events) are not worth zlib's time on the thread pool.
    this.ws.send(frame, { binary: this.codec === 'msgpack', compress: bytes >= this.#compressFrom });
    if (!this.#corked) return;
    // Hand large batches to the kernel as they grow: corked bytes count as
    // backlog, and a fast client must not look slow because we held them.
    this.#corkedBytes += bytes;
    if (this.#corkedBytes >= CORK_FLUSH_BYTES) {
      const socket = this.#socket();
      socket?.uncork();
      socket?.cork();
      this.#corkedBytes = 0;
    }
  }

  /** ws's underlying socket (ws has no public cork; see cork()). */
  #socket(): { cork(): void; uncork(): void } | null {
    return (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } | null })._socket ?? null;
  }

  /**
   * Holds this socket's writes until uncork(), so the frames of one
   * outbound batch leave in one write system call instead of one each.
   * ws has no public cork: this uses its socket (`_socket`), and ws's own
   * per-frame cork nests inside ours. Returns true if it corked now.
   */
  cork(): boolean {
    const socket = this.#socket();
    if (this.#corked || !socket) return false;
    socket.cork();
    this.#corked = true;
    return true;
  }

  uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#corkedBytes = 0;
    this.#socket()?.uncork();
  }

  /** Stops reading the socket for `reason` (a Pause bit). */
  pause(reason: number): void {
    if (this.#pauses & reason) return;
    if (this.#pauses === 0) this.ws.pause();
    this.#pauses |= reason;
  }

  /** Drops `reason`; reading resumes once no reason is left. */
  resume(reason: number): void {
    if ((this.#pauses & reason) === 0) return;
    this.#pauses &= ~reason;
    if (this.#pauses === 0) this.ws.resume();
  }

  close(code: number, reason: string): void {
    this.clearTimers();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason.slice(0, 120));
  }

  /** Clears every pending deadline (on close, and when the socket is gone). */
  clearTimers(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  // The close frame queues behind what is buffered; nothing more is queued
  // after it (readyState is CLOSING), and ws cuts the socket if the client
  // never answers the close, so the buffer stays bounded.
  #slow(): void {
    this.#out.onSlow(this);
    this.close(Close.POLICY_VIOLATION, 'slow consumer');
  }
}
