import type { WebSocket } from 'ws';
import type { ClientInfo } from '../protocol/handshake.js';
import type { ScopeName } from '../protocol/methods.js';

/** Per-connection state, owned by the socket worker that accepted it. */
export class Conn {
  readonly id: number;
  readonly ws: WebSocket;
  readonly remote: string;
  client: ClientInfo | null = null;
  role = 'operator';
  scopes: ReadonlySet<ScopeName> = new Set();
  /** Per-connection event counter (the frame-level `seq` of event frames). */
  eventSeq = 1;
  /** Bit per inbound lane this connection has written to (OPEN sent there). */
  lanesUsed = 0;
  /** Answered the last ping. */
  alive = true;
  handshakeTimer: NodeJS.Timeout | null = null;

  constructor(id: number, ws: WebSocket, remote: string) {
    this.id = id;
    this.ws = ws;
    this.remote = remote;
  }

  get authenticated(): boolean {
    return this.client !== null;
  }

  /** Sends a whole text frame (string, or UTF-8 bytes sent as text). */
  send(frame: string | Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(frame, { binary: false });
  }

  /** Sends an event frame that lacks its seq: appends this connection's counter. */
  sendEvent(open: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const tail = Buffer.from(`,"seq":${this.eventSeq++}}`);
    this.ws.send(Buffer.concat([open, tail]), { binary: false });
  }

  close(code: number, reason: string): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason.slice(0, 120));
  }
}
