// Large-delivery load, in its own process: one producer connection keeps a
// window of ops.deliver requests with ~64 KiB JSON payloads in flight (the
// next sent on each ack), one subscriber decodes every ops event. Either
// connection speaks JSON or lanegate.msgpack.v1 and offers
// permessage-deflate or not, as the variant says. Counts what crossed each
// socket (WebSocket framing included) and checks that every delivery was
// acknowledged and arrived once, intact.

import { pack, unpack } from 'msgpackr';
import { WebSocket, type ClientOptions } from 'ws';
import { MSGPACK_SUBPROTOCOL } from '../../src/protocol/msgpack.js';
import { runForked } from '../e2e/load-client.js';
import { subagentResult } from './payload.js';

export interface LargeArgs {
  url: string;
  msgpack: boolean;
  deflate: boolean;
  payloadBytes: number;
  window: number;
  durationMs: number;
}

export interface LargeReport {
  sent: number;
  acked: number;
  delivered: number;
  /** Events whose payload was not the one sent (must be 0). */
  corrupt: number;
  perSec: number;
  /** Bytes on the wire per delivery, producer -> gateway and gateway -> subscriber (WebSocket framing included). */
  upBytes: number;
  downBytes: number;
  /** The payload's JSON size. */
  jsonBytes: number;
  /** CPU this client process used per delivery (µs): encoding, decoding, compression on its side. */
  clientCpuUs: number;
}

/** Distinct payloads, so deflate's window cannot match one message against the same one just before. */
const DISTINCT = 32;

type Frame = { type?: string; id?: string; ok?: boolean; event?: string; payload?: any };

function open(a: LargeArgs, onFrame: (f: Frame) => void): Promise<{ ws: WebSocket; send: (f: unknown) => void }> {
  // The client compresses at zlib level 1 like the gateway's default (ws would use 6).
  const options: ClientOptions = { perMessageDeflate: a.deflate ? { zlibDeflateOptions: { level: 1 }, threshold: 16 * 1024 } : false, maxPayload: 64 * 1024 * 1024 };
  const ws = a.msgpack ? new WebSocket(a.url, [MSGPACK_SUBPROTOCOL], options) : new WebSocket(a.url, options);
  const encode = (f: unknown): string | Buffer => (a.msgpack ? pack(f) : JSON.stringify(f));
  const send = (f: unknown): void => ws.send(encode(f));
  return new Promise((resolve, reject) => {
    let ready = false;
    ws.once('error', reject);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const f = (isBinary ? unpack(data) : JSON.parse(data.toString('utf8'))) as Frame;
      if (ready) return onFrame(f);
      if (f.event === 'connect.challenge') {
        send({
          type: 'req',
          id: 'connect',
          method: 'connect',
          params: { minProtocol: 4, maxProtocol: 4, client: { id: 'gateway-client', version: '1.0.0', platform: process.platform, mode: 'backend' } },
        });
      } else if (f.id === 'connect') {
        if (!f.ok) return reject(new Error('connect refused'));
        ready = true;
        resolve({ ws, send });
      }
    });
  });
}

const socketOf = (ws: WebSocket): { bytesRead: number; bytesWritten: number } => (ws as unknown as { _socket: { bytesRead: number; bytesWritten: number } })._socket;

export async function large(a: LargeArgs): Promise<LargeReport> {
  const payloads = Array.from({ length: DISTINCT }, (_, i) => subagentResult(a.payloadBytes, i + 1));
  const runIds = payloads.map((p) => p.runId);
  const tag = `L${process.pid}-${a.msgpack ? 'm' : 'j'}${a.deflate ? 'z' : ''}`;
  let sent = 0;
  let acked = 0;
  let delivered = 0;
  let corrupt = 0;
  let counting = false;
  let sending = true;
  let countedAcks = 0;
  let done: () => void = () => {};
  const drained = new Promise<void>((r) => (done = r));
  const check = (): void => {
    if (!sending && acked === sent && delivered === sent) done();
  };
  const sub = await open(a, (f) => {
    if (f.event !== 'ops' || !String(f.payload?.idempotencyKey).startsWith(tag)) return;
    const i = Number(String(f.payload.idempotencyKey).slice(tag.length + 1));
    if (f.payload.payload?.runId !== runIds[i % DISTINCT]) corrupt++;
    delivered++;
    check();
  });
  await new Promise<void>((resolve) => {
    sub.ws.on('message', function once(this: WebSocket, data: Buffer, isBinary: boolean) {
      const f = (isBinary ? unpack(data) : JSON.parse(data.toString('utf8'))) as Frame;
      if (f.id === 'sub') {
        sub.ws.off('message', once);
        resolve();
      }
    });
    sub.send({ type: 'req', id: 'sub', method: 'ops.subscribe', params: {} });
  });
  let pub: Awaited<ReturnType<typeof open>>;
  const sendOne = (): void => {
    const i = sent++;
    pub.send({
      type: 'req',
      id: `d${i}`,
      method: 'ops.deliver',
      params: { lane: 'subagent', sessionKey: `s${i & 7}`, idempotencyKey: `${tag}-${i}`, kind: 'subagent.result', payload: payloads[i % DISTINCT] },
    });
  };
  pub = await open(a, (f) => {
    if (f.type !== 'res' || !f.id?.startsWith('d')) return;
    if (f.ok) acked++;
    if (counting) countedAcks++;
    if (sending) sendOne();
    check();
  });
  for (let i = 0; i < a.window; i++) sendOne();
  // Warm up, then count acks and wire bytes over the duration.
  await new Promise((r) => setTimeout(r, 500));
  const up0 = socketOf(pub.ws).bytesWritten;
  const down0 = socketOf(sub.ws).bytesRead;
  const cpu0 = process.cpuUsage();
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, a.durationMs));
  counting = false;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const up = socketOf(pub.ws).bytesWritten - up0;
  const down = socketOf(sub.ws).bytesRead - down0;
  sending = false;
  check();
  await Promise.race([drained, new Promise((r) => setTimeout(r, 30_000))]);
  for (const c of [pub, sub]) c.ws.close(1000);
  const n = Math.max(1, countedAcks);
  return {
    sent,
    acked,
    delivered,
    corrupt,
    perSec: Math.round((countedAcks / ms) * 1000),
    upBytes: Math.round(up / n),
    downBytes: Math.round(down / n),
    jsonBytes: Math.round(payloads.reduce((s, p) => s + JSON.stringify(p).length, 0) / DISTINCT),
    clientCpuUs: Math.round((cpu.user + cpu.system) / n),
  };
}

runForked(large);
