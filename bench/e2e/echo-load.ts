// Request/response throughput generator, in its own process: `connections`
// sockets each keep `window` small requests in flight and send the next one
// as each answer arrives (closed loop, no spinning). It counts answers only.

import { WebSocket } from 'ws';
import { connectLean, runForked, type LeanClient } from './load-client.js';

/** A socket to a plain echo server (no handshake). */
function connectRaw(url: string, onFrame: () => void): Promise<LeanClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('message', onFrame);
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        send: (frame) => ws.send(frame),
        close: () =>
          new Promise((r) => {
            ws.once('close', () => r());
            ws.close(1000);
          }),
      }),
    );
  });
}

export interface EchoArgs {
  url: string;
  /** A plain echo server: no handshake, every frame comes straight back. */
  raw?: boolean;
  token?: string;
  connections: number;
  window: number;
  durationMs: number;
}

export interface EchoReport {
  /** Answers counted over the measured duration. */
  answers: number;
  /** Every answer, the warm-up's included (per-request CPU divides by it). */
  answersTotal?: number;
  perSec: number;
}

/** A cheap real method (the answer is `{"session":null}`); an echo server sends it straight back. */
export const ECHO_FRAME = '{"type":"req","id":"e","method":"sessions.describe","params":{"key":"bench:none"}}';

export async function echoLoad(a: EchoArgs): Promise<EchoReport> {
  let answers = 0;
  let answersTotal = 0;
  let counting = false;
  let stop = false;
  const clients = await Promise.all(
    Array.from({ length: a.connections }, () => {
      let c: LeanClient;
      const onAnswer = (): void => {
        answersTotal++;
        if (counting) answers++;
        if (!stop) c.send(ECHO_FRAME);
      };
      return (a.raw ? connectRaw(a.url, onAnswer) : connectLean(a.url, onAnswer, a.token)).then((client) => (c = client));
    }),
  );
  for (const c of clients) for (let i = 0; i < a.window; i++) c.send(ECHO_FRAME);
  // Warm up, then count for the duration.
  await new Promise((r) => setTimeout(r, 500));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, a.durationMs));
  counting = false;
  const perSec = Math.round((answers / (performance.now() - t0)) * 1000);
  stop = true;
  await Promise.all(clients.map((c) => c.close()));
  return { answers, answersTotal, perSec };
}

runForked(echoLoad);
