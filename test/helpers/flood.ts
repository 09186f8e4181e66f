// A load generator in its own process (forked by tests and benchmarks): one
// connection delivers `count` ops.deliver requests with a bounded window of
// requests in flight (it waits for acks, never spins), another subscribes
// and verifies that every delivery arrives exactly once, in seq order.
// It reports its counts over IPC.

import { TestClient, type Frame } from './client.js';

export interface FloodArgs {
  url: string;
  token?: string;
  count: number;
  window: number;
  payloadBytes: number;
  /** Give up waiting for acks and deliveries after this long. */
  deadlineMs: number;
}

export interface FloodReport {
  sent: number;
  acked: number;
  delivered: number;
  duplicateAcks: number;
  duplicateEvents: number;
  outOfOrder: number;
  ackSeqsUnique: boolean;
  foreignEvents: number;
  elapsedMs: number;
  deliveriesPerSec: number;
  timedOut: boolean;
}

export async function flood(a: FloodArgs): Promise<FloodReport> {
  const auth = a.token ? { token: a.token } : {};
  const sub = await TestClient.connect(a.url, { ...auth, clientId: 'gateway-client', mode: 'backend' });
  const pub = await TestClient.connect(a.url, { ...auth, clientId: 'gateway-client', mode: 'backend' });
  sub.keepFrames = false;
  pub.keepFrames = false;

  const seen = new Uint8Array(a.count);
  let delivered = 0;
  let duplicateEvents = 0;
  let outOfOrder = 0;
  let foreignEvents = 0;
  let lastSeq = 0;
  let allDelivered: () => void = () => {};
  const deliveredAll = new Promise<void>((r) => (allDelivered = r));
  sub.onEvent = (f: Frame) => {
    if (f.event !== 'ops') return;
    const p = f.payload;
    if (p.seq <= lastSeq) outOfOrder++;
    lastSeq = Math.max(lastSeq, p.seq);
    const i = p.payload?.i;
    if (typeof i !== 'number' || i < 0 || i >= a.count) {
      foreignEvents++;
      return;
    }
    if (seen[i]) duplicateEvents++;
    else {
      seen[i] = 1;
      delivered++;
      if (delivered === a.count) allDelivered();
    }
  };
  const r = await sub.request('ops.subscribe', { afterSeq: 0 });
  if (!r.ok) throw new Error(`subscribe failed: ${JSON.stringify(r.error)}`);

  const pad = 'x'.repeat(a.payloadBytes);
  const ackCount = new Uint8Array(a.count);
  const ackSeqs = new Set<number>();
  let acked = 0;
  let duplicateAcks = 0;
  let next = 0;
  let inFlight = 0;
  const t0 = performance.now();
  let ackedAll: () => void = () => {};
  const ackedAllP = new Promise<void>((r) => (ackedAll = r));
  const lanes = ['subagent', 'cron', 'heartbeat', 'system'];

  // Responses arrive as raw frames: count them by id without a promise per request.
  pub.ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as Frame;
    if (f.type !== 'res' || !f.id?.startsWith('d')) return;
    const i = Number(f.id.slice(1));
    if (ackCount[i]!++ > 0) duplicateAcks++;
    else if (f.ok && f.payload?.accepted) {
      acked++;
      ackSeqs.add(f.payload.seq);
    }
    inFlight--;
    pump();
    if (acked + duplicateAcks >= a.count && acked === a.count) ackedAll();
  });
  const pump = (): void => {
    while (inFlight < a.window && next < a.count) {
      const i = next++;
      inFlight++;
      pub.ws.send(
        JSON.stringify({
          type: 'req',
          id: `d${i}`,
          method: 'ops.deliver',
          params: { lane: lanes[i % 4], sessionKey: `s${i % 8}`, idempotencyKey: `flood-${i}`, kind: 'flood', payload: { i, pad } },
        }),
      );
    }
  };
  pump();

  let timedOut = false;
  const deadline = new Promise<void>((r) =>
    setTimeout(() => {
      timedOut = true;
      r();
    }, a.deadlineMs).unref(),
  );
  await Promise.race([Promise.all([ackedAllP, deliveredAll]), deadline]);
  const elapsedMs = performance.now() - t0;
  await Promise.all([sub.close(), pub.close()]);
  return {
    sent: next,
    acked,
    delivered,
    duplicateAcks,
    duplicateEvents,
    outOfOrder,
    ackSeqsUnique: ackSeqs.size === acked,
    foreignEvents,
    elapsedMs: Math.round(elapsedMs),
    deliveriesPerSec: Math.round((acked / elapsedMs) * 1000),
    timedOut,
  };
}

// Forked: read args from argv, report over IPC.
if (process.send && process.argv[2]) {
  flood(JSON.parse(process.argv[2]) as FloodArgs).then(
    (report) => process.send!({ report }, () => process.exit(0)),
    (e: Error) => process.send!({ error: e.message }, () => process.exit(1)),
  );
}
