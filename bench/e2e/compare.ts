// Tuning by A/B: several settings of dual-port lanegate, each its own
// gateway, and the one-socket baseline, all up at once; every round runs one
// saturated phase per server, back to back in a rotating order, so the VM's
// drift (tens of percent within a minute) lands on all of them alike. Each
// figure is a median over rounds. Prints; writes no result file.

import { median, table } from '../report.js';
import { phase, startTarget, type PhaseResult } from './e2e-bench.js';
import { deliveriesIntact } from './figures.js';

export interface CompareRow {
  /** The settings as given (`-` for the defaults), or `one-socket baseline`. */
  label: string;
  p99: number[];
  p50: number[];
  opsPerSec: number[];
  /** Per round: this server's p99 over the baseline's from the same round. */
  vsBaseline: number[];
}

const BASELINE = 'one-socket baseline';

export async function compareSettings(envs: Record<string, string>[], rounds: number, say: (s: string) => void): Promise<CompareRow[]> {
  const labels = envs.map((e) => Object.entries(e).map(([k, v]) => `${k}=${v}`).join(',') || '-');
  const started = await Promise.allSettled([...envs.map((env) => startTarget('dual-port', env)), startTarget(BASELINE)]);
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(running.map((t) => t.stop()));
    throw failed.reason;
  }
  const rows: CompareRow[] = [...labels, BASELINE].map((label) => ({ label, p99: [], p50: [], opsPerSec: [], vsBaseline: [] }));
  try {
    for (let round = 0; round < rounds; round++) {
      const results: PhaseResult[] = new Array(running.length);
      for (let k = 0; k < running.length; k++) {
        const i = (round + k) % running.length;
        const t = running[i]!;
        const r = await phase(i === running.length - 1 ? BASELINE : 'dual-port', t.convUrl, t.opsUrl ?? t.convUrl, 0, round + 1);
        const o = r.ops!;
        if (!deliveriesIntact(o)) throw new Error(`${rows[i]!.label}: sent ${o.sent} acked ${o.acked} delivered ${o.delivered}, duplicate or out of order ${o.duplicateAcks + o.duplicateEvents + o.outOfOrder}`);
        results[i] = r;
        say(`  round ${round + 1} ${rows[i]!.label.padEnd(32)} conv p50 ${r.ackP50} ms p99 ${r.ackP99} ms, ops ${Math.round(o.ackedPerSec)}/s`);
      }
      const base = results[results.length - 1]!.ackP99;
      results.forEach((r, i) => {
        const row = rows[i]!;
        row.p99.push(r.ackP99);
        row.p50.push(r.ackP50);
        row.opsPerSec.push(Math.round(r.ops!.ackedPerSec));
        row.vsBaseline.push(base > 0 ? Math.round((r.ackP99 / base) * 1000) / 1000 : NaN);
      });
    }
  } finally {
    await Promise.all(running.map((t) => t.stop()));
  }
  say(
    '\n' +
      table(
        ['settings', 'conv p99 ms per round', 'median p99', 'median p50', 'p99 / baseline (median)', 'median ops/s'],
        rows.map((r) => [r.label, r.p99.join(' '), String(median(r.p99)), String(median(r.p50)), median(r.vsBaseline).toFixed(3), String(median(r.opsPerSec))]),
      ),
  );
  return rows;
}
