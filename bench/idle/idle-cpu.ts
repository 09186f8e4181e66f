// Idle cost (npm run bench:idle, or --scope idle): a gateway in dual-port
// mode with no client connected, sampled from /proc over a window. The
// figures are the process's own: CPU time from each thread's schedstat
// (nanoseconds on a CPU, not 10 ms ticks) and its wake-ups (voluntary
// context switches), so they hold on a machine busy with other work,
// where wall-clock figures would not.

import { readdirSync, readFileSync } from 'node:fs';
import { startGateway } from '../../test/helpers/gateway-process.js';
import { machine, median, table, writeResult } from '../report.js';

/** After start, before the first window. */
const SETTLE_MS = 90_000;

interface ThreadSample {
  tid: number;
  name: string;
  cpuNs: number;
  wakeups: number;
}

function threads(pid: number): ThreadSample[] {
  const out: ThreadSample[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const base = `/proc/${pid}/task/${t}`;
      const cpuNs = Number(readFileSync(`${base}/schedstat`, 'utf8').split(' ')[0]);
      const status = readFileSync(`${base}/status`, 'utf8');
      const wakeups = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      out.push({ tid: Number(t), name: readFileSync(`${base}/comm`, 'utf8').trim(), cpuNs, wakeups });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

export interface IdleThread {
  tid: number;
  name: string;
  /** CPU over the window, percent of one core. */
  cpuPct: number;
  wakeupsPerSec: number;
}

export interface IdleSample {
  windowMs: number;
  /** Whole process, percent of one core. */
  cpuPct: number;
  wakeupsPerSec: number;
  threads: IdleThread[];
}

/** One window of `ms` on a running process. */
export async function sampleIdle(pid: number, ms: number): Promise<IdleSample> {
  const a = new Map(threads(pid).map((t) => [t.tid, t]));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b = threads(pid);
  const windowMs = performance.now() - t0;
  const per: IdleThread[] = b.map((t) => {
    const was = a.get(t.tid) ?? { cpuNs: 0, wakeups: 0 };
    return {
      tid: t.tid,
      name: t.name,
      cpuPct: Math.round(((t.cpuNs - was.cpuNs) / 1e6 / windowMs) * 100 * 1000) / 1000,
      wakeupsPerSec: Math.round(((t.wakeups - was.wakeups) / windowMs) * 1000 * 10) / 10,
    };
  });
  return {
    windowMs: Math.round(windowMs),
    cpuPct: Math.round(per.reduce((s, t) => s + t.cpuPct, 0) * 1000) / 1000,
    wakeupsPerSec: Math.round(per.reduce((s, t) => s + t.wakeupsPerSec, 0) * 10) / 10,
    threads: per.filter((t) => t.cpuPct > 0 || t.wakeupsPerSec > 0),
  };
}

export async function idleBenchMain(say: (s: string) => void, o: { windows: number; windowMs: number; env: Record<string, string> }): Promise<unknown> {
  const m = machine();
  say(`\nidle cost: dual-port gateway, no client, ${o.windows} windows of ${o.windowMs / 1000} s after a ${SETTLE_MS / 1000} s settle; CPU from each thread's schedstat, wake-ups = voluntary context switches`);
  const gw = await startGateway({ LANEGATE_OPS_PORT: '0', ...o.env });
  const samples: IdleSample[] = [];
  try {
    // V8 runs memory-reducing full collections on each thread for up to ~85 s after start (--trace-gc); they are not the idle state.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    for (let i = 0; i < o.windows; i++) {
      const s = await sampleIdle(gw.proc.pid!, o.windowMs);
      samples.push(s);
      say(`  window ${i + 1}: ${s.cpuPct}% of a core, ${s.wakeupsPerSec} wake-ups/s (${s.threads.map((t) => `${t.name}/${t.tid} ${t.cpuPct}% ${t.wakeupsPerSec}/s`).join(', ')})`);
    }
  } finally {
    await gw.stop();
  }
  const report = table(
    ['window', 'CPU, % of one core', 'wake-ups/s', 'busiest threads (name/tid: CPU %, wake-ups/s)'],
    samples.map((s, i) => [
      i + 1,
      s.cpuPct,
      s.wakeupsPerSec,
      [...s.threads]
        .sort((x, y) => y.cpuPct - x.cpuPct)
        .slice(0, 4)
        .map((t) => `${t.name}/${t.tid}: ${t.cpuPct}, ${t.wakeupsPerSec}`)
        .join('; '),
    ]),
  );
  const cpu = Math.round(median(samples.map((s) => s.cpuPct)) * 1000) / 1000;
  say(`\n${report}\n\nmedian: ${cpu}% of one core (target <= 0.5%)`);
  writeResult('idle.json', { machine: m, command: 'npm run bench:idle', env: o.env, samples, medianCpuPct: cpu });
  writeResult('idle.md', `# Idle cost\n\nMachine: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.date}. Command: \`npm run bench:idle\`.\n\n${report}\n\nMedian: ${cpu}% of one core (target <= 0.5%).\n`);
  return { samples, medianCpuPct: cpu };
}
