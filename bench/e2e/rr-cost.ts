// What one request costs each thread (npm run bench:rr, or --scope rr):
// the request/response load of bench:e2e (4 connections x 128 in flight,
// sessions.describe) against lanegate and against the plain single-thread
// ws echo server, with each server thread's CPU (schedstat, ns) and
// wake-ups (voluntary context switches) read from /proc before and after.
// Per request, these hold on a busy machine where requests/s do not: they
// count the server's own work, not its waits for a core.

import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startGateway, type RunningGateway } from '../../test/helpers/gateway-process.js';
import { machine, median, table, writeResult } from '../report.js';
import type { EchoArgs, EchoReport } from './echo-load.js';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

interface Counters {
  cpuNs: number;
  wakeups: number;
}

function perThread(pid: number): Map<number, Counters & { name: string }> {
  const out = new Map<number, Counters & { name: string }>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const base = `/proc/${pid}/task/${t}`;
      const cpuNs = Number(readFileSync(`${base}/schedstat`, 'utf8').split(' ')[0]);
      const wakeups = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`${base}/status`, 'utf8'))?.[1] ?? 0);
      out.set(Number(t), { cpuNs, wakeups, name: readFileSync(`${base}/comm`, 'utf8').trim() });
    } catch {
      // gone
    }
  }
  return out;
}

function load(args: EchoArgs): Promise<EchoReport> {
  const c = fork(here('./echo-load.js'), [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    c.once('message', (m: { report?: EchoReport; error?: string }) => (m.report ? resolve(m.report) : reject(new Error(m.error))));
    c.once('exit', (code) => code !== 0 && reject(new Error(`echo-load exited with ${code}`)));
  });
}

export interface ThreadCost {
  tid: number;
  /** `main` for the process's first thread, else the thread's name and its rank by CPU. */
  role: string;
  cpuUsPerReq: number;
  wakeupsPerReq: number;
}

export interface CostRow {
  server: 'lanegate' | 'plain ws echo';
  round: number;
  perSec: number;
  cpuUsPerReq: number;
  wakeupsPerReq: number;
  threads: ThreadCost[];
}

/** One measured load on `gw`; the per-request figures divide by every answer the load got, warm-up included. */
async function measure(server: CostRow['server'], gw: RunningGateway, args: EchoArgs, round: number): Promise<CostRow> {
  const pid = gw.proc.pid!;
  const a = perThread(pid);
  const r = await load(args);
  const b = perThread(pid);
  const total = Math.max(1, r.answersTotal ?? r.answers);
  const threads: ThreadCost[] = [];
  for (const [tid, t] of b) {
    const was = a.get(tid) ?? { cpuNs: 0, wakeups: 0 };
    threads.push({ tid, role: tid === pid ? 'main' : t.name, cpuUsPerReq: (t.cpuNs - was.cpuNs) / 1000 / total, wakeupsPerReq: (t.wakeups - was.wakeups) / total });
  }
  threads.sort((x, y) => y.cpuUsPerReq - x.cpuUsPerReq);
  const round3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    server,
    round,
    perSec: r.perSec,
    cpuUsPerReq: round3(threads.reduce((s, t) => s + t.cpuUsPerReq, 0)),
    wakeupsPerReq: round3(threads.reduce((s, t) => s + t.wakeupsPerReq, 0)),
    threads: threads.filter((t) => t.cpuUsPerReq > 0.05).map((t) => ({ ...t, cpuUsPerReq: round3(t.cpuUsPerReq), wakeupsPerReq: round3(t.wakeupsPerReq) })),
  };
}

export async function rrCostMain(say: (s: string) => void, o: { rounds: number; env: Record<string, string> }): Promise<unknown> {
  const m = machine();
  say(`\nrequest/response cost per request: 4 connections x 128 in flight, 3 s, ${o.rounds} rounds alternating; CPU from each server thread's schedstat`);
  const servers: RunningGateway[] = [];
  const rows: CostRow[] = [];
  try {
    const gw = await startGateway({ LANEGATE_CONV_RATE: '0', LANEGATE_OPS_RATE: '0', LANEGATE_OPS_PORT: '0', ...o.env });
    servers.push(gw);
    const echo = await startGateway({}, 15_000, [here('./baseline-server.js'), '--echo']);
    servers.push(echo);
    const args = { connections: 4, window: 128, durationMs: 3000 };
    for (let round = 1; round <= o.rounds; round++) {
      const pair: [CostRow['server'], RunningGateway, EchoArgs][] = [
        ['lanegate', gw, { url: gw.convUrl, ...args }],
        ['plain ws echo', echo, { url: echo.convUrl, raw: true, ...args }],
      ];
      if (round % 2 === 0) pair.reverse();
      for (const [name, s, a] of pair) {
        const row = await measure(name, s, a, round);
        rows.push(row);
        say(`  round ${round} ${name.padEnd(14)} ${row.perSec}/s; ${row.cpuUsPerReq} µs CPU and ${row.wakeupsPerReq} wake-ups per request (${row.threads.map((t) => `${t.role}/${t.tid} ${t.cpuUsPerReq} µs ${t.wakeupsPerReq} wk`).join(', ')})`);
      }
    }
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
  }
  const med = (server: CostRow['server'], f: (r: CostRow) => number): number => Math.round(median(rows.filter((r) => r.server === server).map(f)) * 1000) / 1000;
  const report = table(
    ['server', 'requests/s (median)', 'CPU µs / request (median)', 'wake-ups / request (median)'],
    (['lanegate', 'plain ws echo'] as const).map((s) => [s, med(s, (r) => r.perSec), med(s, (r) => r.cpuUsPerReq), med(s, (r) => r.wakeupsPerReq)]),
  );
  say(`\n${report}`);
  writeResult('rr-cost.json', { machine: m, command: 'npm run bench:rr', env: o.env, rows });
  return { rows };
}
