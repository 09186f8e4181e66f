import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EchoResult, Mode, PhaseResult } from '../../bench/e2e/e2e-bench.js';
import { figures } from '../../bench/e2e/figures.js';
import type { FloodReport } from '../../bench/e2e/flooder.js';

const ops = (ackedPerSec: number, over: Partial<FloodReport> = {}): FloodReport => ({
  rate: 0,
  sent: 100,
  acked: 100,
  delivered: 100,
  duplicateAcks: 0,
  duplicateEvents: 0,
  outOfOrder: 0,
  ackedPerSec,
  drained: true,
  ...over,
});

function phase(mode: Mode, round: number, flood: 0 | 'max', ackP50: number, ackP99: number, floodOps: FloodReport | null = null): PhaseResult {
  return { mode, round, flood, ackP50, ackP99, ackMax: ackP99, finalP50: ackP50, finalP99: ackP99, lateP99: 0, samples: 1000, missing: 0, ops: floodOps };
}

const echo = (window: number, round: number, lanegate: number, plain: number): EchoResult => ({
  window,
  round,
  lanegate: { answers: lanegate, perSec: lanegate },
  plainWs: { answers: plain, perSec: plain },
});

// Per round, dual-port's idle p99, saturated p99 and saturated ops/s; the baseline is the same every round
// (idle p99 2, saturated p99 100 at 25k/s). Saturated p99 ratios 0.1, 0.3, 0.15: the median is 0.15.
const dualRounds: [idleP99: number, satP99: number, opsPerSec: number][] = [
  [4, 10, 30_000],
  [5, 30, 20_000],
  [6, 15, 35_000],
];
const rows: PhaseResult[] = dualRounds.flatMap(([idleP99, satP99, opsPerSec], i) => [
  phase('dual-port', i + 1, 0, 1, idleP99),
  phase('dual-port', i + 1, 'max', 1, satP99, ops(opsPerSec)),
  phase('one-socket baseline', i + 1, 0, 0.5, 2),
  phase('one-socket baseline', i + 1, 'max', 40, 100, ops(25_000)),
]);
const echoes = [echo(32, 1, 50, 100), echo(128, 1, 80, 100), echo(128, 2, 90, 100), echo(128, 3, 70, 100)];

test('each e2e figure is the median of its per-round ratios, judged against its target', () => {
  const f = Object.fromEntries(figures(rows, echoes).map((x) => [x.figure, x]));
  const sat = f['saturated conv p99: dual-port / baseline']!;
  assert.match(sat.value, /^0\.15: 0\.10 \(10 \/ 100\), 0\.30 \(30 \/ 100\), 0\.15 \(15 \/ 100\)$/);
  assert.equal(sat.met, true, '0.15 <= 1/6');
  // Own idle: 10/4 = 2.5, 30/5 = 6, 15/6 = 2.5 -> median 2.5, met (<= 2.5).
  assert.equal(f['saturated conv p99: dual-port / own idle']!.met, true);
  assert.match(f['saturated conv p99: dual-port / own idle']!.value, /^2\.50:/);
  // Idle p99 ratios 2, 2.5, 3 -> median 2.5: missed (<= 2).
  assert.equal(f['idle conv p99: dual-port / baseline']!.met, false);
  // Ops throughput 1.2, 0.8, 1.4 -> median 1.2: met.
  assert.match(f['saturated ops throughput: dual-port / baseline']!.value, /^1\.20:/);
  assert.equal(f['saturated ops throughput: dual-port / baseline']!.met, true);
  // Echo: only the 128-in-flight rounds count (0.8, 0.9, 0.7 -> 0.8): missed.
  const e = f['echo throughput (4 x 128 in flight): lanegate / plain ws echo']!;
  assert.match(e.value, /^0\.80: 0\.80 .*, 0\.90 .*, 0\.70 /);
  assert.equal(e.met, false);
  assert.equal(f['ops deliveries lost or duplicated']!.met, true);
});

test('one phase with a lost or duplicated delivery fails the loss figure and names the phase', () => {
  const bad = rows.map((r, i) => (i === 5 ? { ...r, ops: ops(20_000, { delivered: 99 }) } : r));
  const lost = figures(bad, echoes).find((x) => x.figure === 'ops deliveries lost or duplicated')!;
  assert.equal(lost.met, false);
  assert.equal(lost.value, 'dual-port@max');
  const dup = rows.map((r, i) => (i === 1 ? { ...r, ops: ops(30_000, { duplicateEvents: 1 }) } : r));
  assert.equal(figures(dup, echoes).find((x) => x.figure === 'ops deliveries lost or duplicated')!.met, false);
});
