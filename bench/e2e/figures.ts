// The e2e report's figures: each a ratio per round, judged against its
// target on the median over rounds (the VM drifts; docs/benchmarks.md).

import { median } from '../report.js';
import type { EchoResult, Mode, PhaseResult } from './e2e-bench.js';
import type { FloodReport } from './flooder.js';

/** Every delivery sent was acknowledged and delivered once, in seq order. */
export function deliveriesIntact(o: FloodReport): boolean {
  return o.sent === o.acked && o.acked === o.delivered && o.duplicateAcks + o.duplicateEvents + o.outOfOrder === 0;
}

export interface Figure {
  figure: string;
  /** The median over rounds, with each round's value. */
  value: string;
  target: string;
  met: boolean;
}

export function figures(rows: PhaseResult[], echoes: EchoResult[]): Figure[] {
  const deep = echoes.filter((e) => e.window === 128);
  const echoRatios = deep.map((e) => e.lanegate.perSec / e.plainWs.perSec);
  const echoMedian = median(echoRatios);
  const rounds = [...new Set(rows.map((r) => r.round))];
  const get = (mode: Mode, flood: number | 'max', round: number): PhaseResult => rows.find((r) => r.mode === mode && r.flood === flood && r.round === round)!;
  const lost = rows.filter((r) => r.ops && !deliveriesIntact(r.ops));
  /** A ratio a / b per round; the figure is its median. */
  const f = (figure: string, a: (round: number) => number, b: (round: number) => number, target: string, ok: (x: number) => boolean): Figure => {
    const per = rounds.map((r) => ({ a: a(r), b: b(r), x: a(r) / b(r) }));
    const m = median(per.map((p) => p.x));
    const each = per.map((p) => `${p.x.toFixed(2)} (${p.a} / ${p.b})`).join(', ');
    return { figure, value: per.length > 1 ? `${m.toFixed(2)}: ${each}` : each, target, met: ok(m) };
  };
  const dual = (flood: number | 'max', pick: (r: PhaseResult) => number) => (round: number) => pick(get('dual-port', flood, round));
  const base = (flood: number | 'max', pick: (r: PhaseResult) => number) => (round: number) => pick(get('one-socket baseline', flood, round));
  const p99 = (r: PhaseResult): number => r.ackP99;
  const p50 = (r: PhaseResult): number => r.ackP50;
  const opsRate = (r: PhaseResult): number => r.ops!.ackedPerSec;
  return [
    {
      figure: 'echo throughput (4 x 128 in flight): lanegate / plain ws echo',
      value: `${echoMedian.toFixed(2)}: ${deep.map((e, i) => `${echoRatios[i]!.toFixed(2)} (${e.lanegate.perSec} / ${e.plainWs.perSec})`).join(', ')}`,
      target: '>= 0.85',
      met: echoMedian >= 0.85,
    },
    f('saturated conv p99: dual-port / baseline', dual('max', p99), base('max', p99), '<= 1/6 (0.167)', (x) => x <= 1 / 6),
    f('saturated conv p99: dual-port / own idle', dual('max', p99), dual(0, p99), '<= 2.5', (x) => x <= 2.5),
    f('saturated conv p50: dual-port / own idle', dual('max', p50), dual(0, p50), '<= 2', (x) => x <= 2),
    f('idle conv p99: dual-port / baseline', dual(0, p99), base(0, p99), '<= 2', (x) => x <= 2),
    f('saturated ops throughput: dual-port / baseline', dual('max', opsRate), base('max', opsRate), '>= 1', (x) => x >= 1),
    { figure: 'ops deliveries lost or duplicated', value: String(lost.length === 0 ? 0 : lost.map((r) => `${r.mode}@${r.flood}`).join(', ')), target: '0 in every run', met: lost.length === 0 },
  ];
}
