// Ops flood generator, in its own process. One connection delivers
// ops.deliver frames, either at a fixed rate (batches every 10 ms, never
// more than `window` unanswered) or as fast as the gateway answers
// (`rate: 0`: a window of requests in flight, the next sent on each ack).
// Another connection subscribes and counts what arrives. When the time is
// up it stops sending and waits (bounded) for every ack and delivery, then
// reports sent / acknowledged / delivered, duplicates and order.

import { connectLean, runForked } from './load-client.js';

export interface FloodArgs {
  /** Where to deliver and subscribe (the ops port, or the conv port in single-port mode). */
  url: string;
  token?: string;
  /** Deliveries per second; 0 = saturate. */
  rate: number;
  window: number;
  durationMs: number;
  payloadBytes: number;
  drainMs: number;
}

export interface FloodReport {
  rate: number;
  sent: number;
  acked: number;
  delivered: number;
  duplicateAcks: number;
  duplicateEvents: number;
  outOfOrder: number;
  /** Acked deliveries per second over the sending period. */
  ackedPerSec: number;
  drained: boolean;
}

const TICK_MS = 10;

export async function flood(a: FloodArgs): Promise<FloodReport> {
  const tag = `f${process.pid}`;
  const maxCount = Math.ceil(((a.rate || 200_000) * (a.durationMs + 1000)) / 1000);
  const ackSeen = new Uint8Array(maxCount);
  const eventSeen = new Uint8Array(maxCount);
  let acked = 0;
  let delivered = 0;
  let duplicateAcks = 0;
  let duplicateEvents = 0;
  let outOfOrder = 0;
  let lastSeq = 0;
  let sent = 0;
  let inFlight = 0;
  let sending = true;
  let settle: () => void = () => {};
  const settled = new Promise<void>((r) => (settle = r));
  const check = (): void => {
    if (!sending && acked + duplicateAcks >= sent && delivered >= sent) settle();
  };

  const sub = await connectLean(
    a.url,
    (text) => {
      if (!text.startsWith('{"type":"event","event":"ops"')) return;
      const p = (JSON.parse(text) as { payload: { seq: number; idempotencyKey: string } }).payload;
      if (!p.idempotencyKey.startsWith(tag)) return;
      if (p.seq <= lastSeq) outOfOrder++;
      lastSeq = Math.max(lastSeq, p.seq);
      const i = Number(p.idempotencyKey.slice(tag.length + 1));
      if (eventSeen[i]) duplicateEvents++;
      else {
        eventSeen[i] = 1;
        delivered++;
      }
      check();
    },
    a.token,
  );
  await new Promise<void>((resolve) => {
    const once = (data: Buffer): void => {
      if (data.toString().includes('"id":"sub"')) {
        sub.ws.off('message', once);
        resolve();
      }
    };
    sub.ws.on('message', once);
    sub.send('{"type":"req","id":"sub","method":"ops.subscribe","params":{}}');
  });

  const pad = 'x'.repeat(a.payloadBytes);
  const lanes = ['subagent', 'cron', 'heartbeat', 'system'];
  const frame = (i: number): string =>
    `{"type":"req","id":"d${i}","method":"ops.deliver","params":{"lane":"${lanes[i & 3]}","sessionKey":"s${i & 7}","idempotencyKey":"${tag}-${i}","kind":"flood","payload":{"i":${i},"pad":"${pad}"}}}`;
  let pub: Awaited<ReturnType<typeof connectLean>>;
  const sendOne = (): void => {
    if (sent >= maxCount) return;
    pub.send(frame(sent++));
    inFlight++;
  };
  pub = await connectLean(
    a.url,
    (text) => {
      const m = /^\{"type":"res","id":"d(\d+)","ok":(true|false)/.exec(text);
      if (!m) return;
      const i = Number(m[1]);
      inFlight--;
      if (ackSeen[i]) duplicateAcks++;
      else if (m[2] === 'true') {
        ackSeen[i] = 1;
        acked++;
      }
      if (sending && a.rate === 0) sendOne();
      check();
    },
    a.token,
  );

  const t0 = performance.now();
  let timer: NodeJS.Timeout | null = null;
  if (a.rate === 0) for (let i = 0; i < a.window; i++) sendOne();
  else {
    // Open loop: each tick sends what is due by now, capped by the window.
    timer = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) * a.rate) / 1000);
      while (sent < due && inFlight < a.window) sendOne();
    }, TICK_MS);
  }
  await new Promise((r) => setTimeout(r, a.durationMs));
  sending = false;
  if (timer) clearInterval(timer);
  const sendingMs = performance.now() - t0;
  const ackedBySendEnd = acked;
  check();
  let drained = true;
  await Promise.race([
    settled,
    new Promise<void>((r) =>
      setTimeout(() => {
        drained = false;
        r();
      }, a.drainMs),
    ),
  ]);
  await Promise.all([pub.close(), sub.close()]);
  return {
    rate: a.rate,
    sent,
    acked,
    delivered,
    duplicateAcks,
    duplicateEvents,
    outOfOrder,
    ackedPerSec: Math.round((ackedBySendEnd / sendingMs) * 1000),
    drained,
  };
}

runForked(flood);
