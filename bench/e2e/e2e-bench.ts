// End-to-end benchmark (npm run bench:e2e): conversation latency while an
// ops flood grows to saturation, for lanegate dual-port, lanegate
// single-port and a one-socket baseline, each in turn on loopback; plus
// request/response throughput through lanegate's workers against a plain
// single-thread ws echo server. Every load generator runs in its own
// process; every flood checks sent = acknowledged = delivered.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGateway, type RunningGateway } from '../../test/helpers/gateway-process.js';
import { fmt, machine, ratio, table, writeResult } from '../report.js';
import { lineChart } from './chart.js';
import { deliveriesIntact, figures } from './figures.js';
import type { ProbeArgs, ProbeReport } from './chat-prober.js';
import type { EchoArgs, EchoReport } from './echo-load.js';
import type { FloodArgs, FloodReport } from './flooder.js';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const BASELINE = here('./baseline-server.js');

/** Chats every 5 ms, 1,000 per phase: p99 is the 10th-largest sample, not the 2nd. */
const PROBE = { intervalMs: 5, samples: 1000, graceMs: 10_000 };
const FLOOD_RATES = [2_000, 5_000, 10_000, 0] as const; // 0 = saturate
const WARMUP_MS = 500;
/**
 * The load here is the point: lanegate's per-connection message rate limits
 * (on by default, see Security) would refuse it, so the benchmark turns them
 * off. Everything else runs with the defaults.
 */
const BENCH_ENV = { LANEGATE_CONV_RATE: '0', LANEGATE_OPS_RATE: '0' };
const PAYLOAD_BYTES = 256;

export type Mode = 'dual-port' | 'single-port' | 'one-socket baseline';
/** Every mode, in report order. */
export const MODES: readonly Mode[] = ['dual-port', 'single-port', 'one-socket baseline'];

export interface PhaseResult {
  mode: Mode;
  /** 1 for the full sweep; 2.. for the repeated idle and saturation phases of the figures. */
  round: number;
  /** Offered deliveries/s; 0 idle; 'max' saturation. */
  flood: number | 'max';
  ackP50: number;
  ackP99: number;
  ackMax: number;
  finalP50: number;
  finalP99: number;
  /** p99 of how late the prober's own sends left (timer jitter; not in the figures above). */
  lateP99: number;
  samples: number;
  missing: number;
  ops: FloodReport | null;
}

function child<A, R>(script: string, args: A): Promise<R> {
  const c = fork(here(script), [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    c.once('message', (m: { report?: R; error?: string }) => (m.report ? resolve(m.report) : reject(new Error(m.error))));
    c.once('exit', (code) => code !== 0 && reject(new Error(`${script} exited with ${code}`)));
  });
}

const q = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! * 1000) / 1000;
};

export async function phase(mode: Mode, convUrl: string, floodUrl: string, rate: number | null, round = 1): Promise<PhaseResult> {
  const probeMs = PROBE.samples * PROBE.intervalMs;
  const flood =
    rate === null
      ? null
      : child<FloodArgs, FloodReport>('./flooder.js', {
          url: floodUrl,
          rate,
          window: rate === 0 ? 1000 : 4000,
          durationMs: WARMUP_MS + probeMs + 200,
          payloadBytes: PAYLOAD_BYTES,
          drainMs: 20_000,
        });
  // The flood gets a head start so the probe measures a gateway already under load.
  if (flood) await new Promise((r) => setTimeout(r, WARMUP_MS));
  const probe = await child<ProbeArgs, ProbeReport>('./chat-prober.js', { url: convUrl, ...PROBE });
  const ops = flood ? await flood : null;
  return {
    mode,
    round,
    flood: rate === null ? 0 : rate === 0 ? 'max' : rate,
    ackP50: q(probe.ack, 0.5),
    ackP99: q(probe.ack, 0.99),
    ackMax: q(probe.ack, 1),
    finalP50: q(probe.final, 0.5),
    finalP99: q(probe.final, 0.99),
    lateP99: q(probe.lateness, 0.99),
    samples: probe.ack.length,
    missing: probe.missing,
    ops,
  };
}

export async function startTarget(mode: Mode, env: Record<string, string> = {}): Promise<RunningGateway> {
  if (mode === 'one-socket baseline') return startGateway({}, 15_000, [BASELINE]);
  return startGateway({ ...BENCH_ENV, ...(mode === 'dual-port' ? { LANEGATE_OPS_PORT: '0' } : {}), ...env });
}

function describe(r: PhaseResult): string {
  const o = r.ops;
  return (
    `  ${r.mode.padEnd(20)} ${r.round > 1 ? `(round ${r.round}) ` : ''}flood ${String(r.flood).padStart(6)}: conv ack p50 ${r.ackP50} ms p99 ${r.ackP99} ms (reply p99 ${r.finalP99}, prober lateness p99 ${r.lateP99})` +
    (o ? `; ops acked ${fmt(o.ackedPerSec)}/s, sent ${o.sent} acked ${o.acked} delivered ${o.delivered}${deliveriesIntact(o) ? '' : '  MISMATCH'}` : '')
  );
}

/** Tuning runs: one mode's phases in a row. */
async function runMode(mode: Mode, say: (s: string) => void, env: Record<string, string> = {}, rates: readonly number[] = FLOOD_RATES): Promise<PhaseResult[]> {
  const target = await startTarget(mode, env);
  const out: PhaseResult[] = [];
  try {
    for (const rate of [null, ...rates]) {
      const r = await phase(mode, target.convUrl, target.opsUrl ?? target.convUrl, rate);
      out.push(r);
      say(describe(r));
    }
  } finally {
    await target.stop();
  }
  return out;
}

/** Extra rounds of the phases the figures compare (dual-port and baseline, idle and saturated). */
const FIGURE_ROUNDS = 3;

/**
 * The report run. The VM this runs on drifts by tens of percent within a
 * minute, so modes measured one after the other would compare different
 * machines. All three servers start at once (idle ones park and cost
 * nothing), every flood rate is measured for each mode back to back, in an
 * order that rotates, and the idle and saturated phases of dual-port and
 * the baseline are repeated: each figure is the median of its per-round
 * ratios.
 */
async function interleaved(say: (s: string) => void): Promise<PhaseResult[]> {
  const modes = [...MODES];
  const targets = new Map<Mode, RunningGateway>();
  const rows: PhaseResult[] = [];
  const rotate = <T>(xs: T[], k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length]!);
  const run = async (mode: Mode, rate: number | null, round: number): Promise<void> => {
    const t = targets.get(mode)!;
    const r = await phase(mode, t.convUrl, t.opsUrl ?? t.convUrl, rate, round);
    rows.push(r);
    say(describe(r));
  };
  try {
    for (const mode of modes) targets.set(mode, await startTarget(mode));
    let k = 0;
    for (const rate of [null, ...FLOOD_RATES]) for (const mode of rotate(modes, k++)) await run(mode, rate, 1);
    // Each pair flips every round and between its two phases, so no phase always follows the same one.
    const pair: Mode[] = ['dual-port', 'one-socket baseline'];
    for (let round = 2; round <= FIGURE_ROUNDS; round++) {
      for (const [i, rate] of [null, 0].entries()) for (const mode of rotate(pair, round + i)) await run(mode, rate, round);
    }
  } finally {
    await Promise.allSettled([...targets.values()].map((t) => t.stop()));
  }
  return rows;
}

export interface EchoResult {
  /** Requests in flight per connection. */
  window: number;
  /** 1.. (the deeper window is measured in several rounds). */
  round: number;
  lanegate: EchoReport;
  plainWs: EchoReport;
}

/** Rounds of the 128-in-flight measurement, which the figure is judged on. */
const ECHO_ROUNDS = 3;

/**
 * Throughput is capacity: with too few requests in flight it measures round
 * trips instead (Little's law: in flight / round trip), and lanegate's round
 * trip has two more thread hops. So it is measured at 32 and at 128 requests
 * in flight per connection (4 connections); the target is judged on the
 * deeper one, where both servers are busy.
 */
async function echoThroughput(say: (s: string) => void): Promise<EchoResult[]> {
  const out: EchoResult[] = [];
  // Both servers up at once, measured alternately (the order flips every round): the VM drifts.
  const servers: RunningGateway[] = [];
  try {
    const gw = await startGateway({ ...BENCH_ENV, LANEGATE_OPS_PORT: '0' });
    servers.push(gw);
    const echo = await startGateway({}, 15_000, [BASELINE, '--echo']);
    servers.push(echo);
    let k = 0;
    for (const [window, rounds] of [[32, 1], [128, ECHO_ROUNDS]] as const) {
      for (let round = 1; round <= rounds; round++) {
        const args = { connections: 4, window, durationMs: 3000 };
        const runLanegate = () => child<EchoArgs, EchoReport>('./echo-load.js', { url: gw.convUrl, ...args });
        const runPlain = () => child<EchoArgs, EchoReport>('./echo-load.js', { url: echo.convUrl, raw: true, ...args });
        let lanegate: EchoReport;
        let plainWs: EchoReport;
        if (k++ % 2 === 0) {
          lanegate = await runLanegate();
          plainWs = await runPlain();
        } else {
          plainWs = await runPlain();
          lanegate = await runLanegate();
        }
        say(`  request/response, 4 x ${window} in flight${rounds > 1 ? ` (round ${round})` : ''}: lanegate ${fmt(lanegate.perSec)}/s, plain ws echo ${fmt(plainWs.perSec)}/s (${ratio(lanegate.perSec, plainWs.perSec)})`);
        out.push({ window, round, lanegate, plainWs });
      }
    }
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
  }
  return out;
}

const floodOrder = (f: number | 'max'): number => (f === 'max' ? Infinity : f);
const byModeRoundFlood = (a: PhaseResult, b: PhaseResult): number =>
  MODES.indexOf(a.mode) - MODES.indexOf(b.mode) || a.round - b.round || floodOrder(a.flood) - floodOrder(b.flood);

export interface E2EOptions {
  say: (s: string) => void;
  /** Only these modes (tuning runs); the full report needs all three. */
  modes?: Mode[];
  /** Extra environment for the lanegate modes (tuning runs, e.g. LANEGATE_OPS_NICE). */
  env?: Record<string, string>;
  /** Flood rates after the idle phase (tuning runs); 0 = saturate. */
  rates?: number[];
}

export async function runE2E(o: E2EOptions): Promise<unknown> {
  const m = machine();
  const t0 = Date.now();
  if (o.modes) {
    const rows: PhaseResult[] = [];
    for (const mode of o.modes) rows.push(...(await runMode(mode, o.say, o.env, o.rates)));
    return { rows };
  }
  o.say(`\nend-to-end: chats every ${PROBE.intervalMs} ms open-loop (${PROBE.samples} per phase), ops floods of ${FLOOD_RATES.map((r) => r || 'max').join(', ')} deliveries/s (${PAYLOAD_BYTES} B payloads); modes interleaved, idle and max repeated for ${FIGURE_ROUNDS} rounds`);
  const rows = await interleaved(o.say);
  const echo = await echoThroughput(o.say);
  const figs = figures(rows, echo);
  const phaseTable = table(
    ['mode', 'round', 'ops flood (/s)', 'conv p50 ms', 'conv p99 ms', 'conv max ms', 'reply p50 ms', 'reply p99 ms', 'ops acked/s', 'sent', 'acked', 'delivered'],
    [...rows].sort(byModeRoundFlood).map((r) => [
      r.mode,
      r.round,
      r.flood === 0 ? 'idle' : r.flood,
      r.ackP50,
      r.ackP99,
      r.ackMax,
      r.finalP50,
      r.finalP99,
      r.ops ? r.ops.ackedPerSec : '-',
      r.ops ? r.ops.sent : '-',
      r.ops ? r.ops.acked : '-',
      r.ops ? r.ops.delivered : '-',
    ]),
  );
  const figTable = table(['figure', 'value', 'target', 'met'], figs.map((x) => [x.figure, x.value, x.target, x.met ? 'yes' : 'NO']));
  const colors: Record<Mode, string> = { 'dual-port': '#1b7f3b', 'single-port': '#1f5fbf', 'one-socket baseline': '#c0392b' };
  const svg = lineChart(
    'conv round-trip p99 under an ops flood',
    'ops deliveries acknowledged per second (rightmost point: saturation)',
    'conv chat.send round-trip p99 (ms, log scale)',
    (Object.keys(colors) as Mode[]).map((mode) => ({
      name: mode,
      color: colors[mode],
      points: rows.filter((r) => r.mode === mode && r.round === 1).map((r) => ({ x: r.ops ? r.ops.ackedPerSec : 0, y: r.ackP99, label: r.flood === 'max' ? 'max' : undefined })),
    })),
  );
  const md = [
    '# End-to-end: conversation latency under an ops flood',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.date}. Command: \`npm run bench:e2e\` (took ${Math.round((Date.now() - t0) / 1000)} s).`,
    '',
    'conv = a chat.send (sent open-loop every 5 ms, never waiting for answers) to its `res`; reply = to its final `chat` event. Measured from the moment the frame was handed to the socket.',
    '',
    `All three servers run at once and the phases are interleaved (each flood rate for every mode back to back, in a rotating order), because this VM drifts by tens of percent within a minute. Round 1 sweeps every rate; rounds 2-${FIGURE_ROUNDS} repeat the idle and saturated phases of dual-port and the baseline. Each figure below is the median of its per-round ratios, followed by every round's value.`,
    '',
    phaseTable,
    '',
    ...echo.map((e) => `Request/response throughput (4 connections x ${e.window} in flight, 3 s${e.window === 128 ? `, round ${e.round}` : ''}): lanegate ${e.lanegate.perSec}/s, plain single-thread ws echo server ${e.plainWs.perSec}/s (${ratio(e.lanegate.perSec, e.plainWs.perSec)}).\n`),
    '',
    figTable,
    '',
  ].join('\n');
  o.say(`\n${phaseTable}\n\n${figTable}`);
  const files = [
    writeResult('e2e.json', { machine: m, command: 'npm run bench:e2e', seconds: Math.round((Date.now() - t0) / 1000), probe: PROBE, rows, echo, figures: figs }),
    writeResult('e2e.md', md),
    writeResult('e2e.svg', svg),
  ];
  o.say(`\nwrote ${files.join(', ')} in ${Math.round((Date.now() - t0) / 1000)} s`);
  return { rows, echo, figures: figs };
}
