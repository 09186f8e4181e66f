// A lean protocol client for load generators: the handshake, then raw
// frames. It does not keep or validate frames (the test client does), so
// the generator spends its CPU on load, not on bookkeeping.

import { WebSocket } from 'ws';

export interface LeanClient {
  ws: WebSocket;
  send(frame: string): void;
  close(): Promise<void>;
}

/** Connects and completes the OpenClaw handshake; `onFrame` then gets every later text frame. */
export function connectLean(url: string, onFrame: (text: string) => void, token?: string): Promise<LeanClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    let ready = false;
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (ready) return onFrame(text);
      const f = JSON.parse(text) as { event?: string; type?: string; id?: string; ok?: boolean; error?: unknown };
      if (f.event === 'connect.challenge') {
        ws.send(
          JSON.stringify({
            type: 'req',
            id: 'connect',
            method: 'connect',
            params: {
              minProtocol: 4,
              maxProtocol: 4,
              client: { id: 'gateway-client', version: '1.0.0', platform: process.platform, mode: 'backend' },
              ...(token ? { auth: { token } } : {}),
            },
          }),
        );
      } else if (f.type === 'res' && f.id === 'connect') {
        if (!f.ok) return reject(new Error(`connect refused: ${JSON.stringify(f.error)}`));
        ready = true;
        resolve({
          ws,
          send: (frame) => ws.send(frame),
          close: () =>
            new Promise((r) => {
              if (ws.readyState === WebSocket.CLOSED) return r();
              ws.once('close', () => r());
              ws.close(1000);
            }),
        });
      }
    });
  });
}

/** Runs `main` when forked with a JSON argument and reports its result over IPC. */
export function runForked<A, R>(main: (args: A) => Promise<R>): void {
  if (!process.send || !process.argv[2]) return;
  main(JSON.parse(process.argv[2]) as A).then(
    (report) => process.send!({ report }, () => process.exit(0)),
    (e: Error) => process.send!({ error: e.stack ?? e.message }, () => process.exit(1)),
  );
}
