import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chatOnce, TestClient } from './client.js';
import type { FloodArgs, FloodReport } from './flood.js';

const FLOOD = fileURLToPath(new URL('./flood.js', import.meta.url));

/** Forks the flood generator in its own process and resolves with its report. */
export function runFlood(args: FloodArgs): { done: Promise<FloodReport> } {
  const child = fork(FLOOD, [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const done = new Promise<FloodReport>((resolve, reject) => {
    child.once('message', (m: { report?: FloodReport; error?: string }) => (m.report ? resolve(m.report) : reject(new Error(m.error))));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`flood process exited with ${code}`));
    });
  });
  return { done };
}

export interface ChatLoadResult {
  sent: number;
  finals: number;
  /** Client-side chat.send -> final times (ms), for the record only. */
  roundTrips: number[];
}

/**
 * Sends chat.send every `intervalMs` (open loop: a slow answer does not
 * delay the next send) until `until` settles, then waits for every final.
 */
export async function chatWhile(client: TestClient, until: Promise<unknown>, intervalMs: number, prefix: string): Promise<ChatLoadResult> {
  let stop = false;
  void until.finally(() => (stop = true));
  const runs: Promise<number>[] = [];
  let i = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (stop) {
        clearInterval(timer);
        resolve();
        return;
      }
      const t0 = performance.now();
      const runId = `${prefix}-${i++}`;
      runs.push(
        chatOnce(client, 'agent:main:main', `chat ${runId} during the flood`, runId, 60_000).then(({ final }) => {
          if (final.payload.state !== 'final') throw new Error(`run ${runId} ended ${final.payload.state}`);
          return performance.now() - t0;
        }),
      );
    }, intervalMs);
  });
  const roundTrips = await Promise.all(runs);
  return { sent: i, finals: roundTrips.length, roundTrips };
}

export function pct(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! * 100) / 100;
}
