// Conversation latency probe, in its own process. Sends chat.send open-loop
// on a fixed schedule (send i is due at t0 + i * interval, whatever happened
// to earlier ones): it never waits for an answer before the next send, so a
// gateway stall shows in every chat sent during it (no coordinated
// omission). Latency is measured from the moment each frame was handed to
// the socket; the delay from the due time (this process's own timer
// lateness) is reported apart. Between sends it sleeps on a timer.

import { connectLean, runForked } from './load-client.js';

export interface ProbeArgs {
  url: string;
  token?: string;
  intervalMs: number;
  samples: number;
  /** Give up on missing replies this long after the last send. */
  graceMs: number;
}

export interface ProbeReport {
  sent: number;
  /** Send -> `res` (the gateway accepted and answered), ms, in send order. */
  ack: number[];
  /** Send -> final `chat` event (the echoed reply complete), ms. */
  final: number[];
  /** How late each send left against its schedule (the prober's own timer jitter), ms. */
  lateness: number[];
  missing: number;
}

export async function probe(a: ProbeArgs): Promise<ProbeReport> {
  const due = new Float64Array(a.samples);
  const sentAt = new Float64Array(a.samples);
  const ack = new Float64Array(a.samples).fill(-1);
  const final = new Float64Array(a.samples).fill(-1);
  let finals = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((r) => (allDone = r));
  const prefix = `p${process.pid}-`;
  const client = await connectLean(
    a.url,
    (text) => {
      const now = performance.now();
      // Cheap routing without parsing every delta: only res frames and final events matter.
      if (text.startsWith('{"type":"res"')) {
        const m = /"id":"q(\d+)"/.exec(text);
        if (m) ack[Number(m[1])] = now - sentAt[Number(m[1])]!;
      } else if (text.includes('"state":"final"') && text.includes(prefix)) {
        const m = new RegExp(`"runId":"${prefix}(\\d+)"`).exec(text);
        if (m && final[Number(m[1])] === -1) {
          final[Number(m[1])] = now - sentAt[Number(m[1])]!;
          if (++finals === a.samples) allDone();
        }
      }
    },
    a.token,
  );
  const t0 = performance.now() + 20;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      // Send everything that is due (catching up after a stall), then sleep until the next one.
      while (next < a.samples && t0 + next * a.intervalMs <= now) {
        due[next] = t0 + next * a.intervalMs;
        sentAt[next] = performance.now();
        client.send(
          `{"type":"req","id":"q${next}","method":"chat.send","params":{"sessionKey":"probe","message":"probe ${next}","idempotencyKey":"${prefix}${next}"}}`,
        );
        next++;
      }
      if (next >= a.samples) return resolve();
      setTimeout(tick, Math.max(0, t0 + next * a.intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, a.graceMs))]);
  await client.close();
  const got = (xs: Float64Array): number[] => Array.from(xs).filter((x) => x >= 0);
  const lateness = Array.from(sentAt, (t, i) => t - due[i]!);
  return { sent: next, ack: got(ack), final: got(final), lateness, missing: a.samples - finals };
}

runForked(probe);
