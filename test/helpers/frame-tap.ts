import type { WebSocket } from 'ws';

/** One WebSocket frame as it crossed the wire (server to client: unmasked). */
export interface WireFrame {
  /** RSV1: the frame is compressed (permessage-deflate). */
  compressed: boolean;
  opcode: number;
  /** Payload bytes on the wire. */
  length: number;
}

/**
 * Watches the bytes a client's socket reads and splits them into WebSocket
 * frame headers, so a test can see what the server put on the wire
 * (compressed or not, how long) rather than what ws made of it. Attach it
 * before the traffic to be seen; it reads alongside ws, it takes nothing.
 */
export function tapFrames(ws: WebSocket): { frames: WireFrame[]; bytes: () => number } {
  const socket = (ws as unknown as { _socket: NodeJS.EventEmitter & { bytesRead: number } })._socket;
  const frames: WireFrame[] = [];
  let pending = Buffer.alloc(0);
  const start = socket.bytesRead;
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 2) return;
      const b0 = pending[0]!;
      const b1 = pending[1]!;
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (pending.length < 4) return;
        len = pending.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (pending.length < 10) return;
        len = Number(pending.readBigUInt64BE(2));
        at = 10;
      }
      if (pending.length < at + len) return;
      frames.push({ compressed: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, length: len });
      pending = pending.subarray(at + len);
    }
  });
  return { frames, bytes: () => socket.bytesRead - start };
}
