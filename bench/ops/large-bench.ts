// Large deliveries on the ops port (npm run bench:ops): ~64 KiB JSON
// sub-agent results delivered and fanned out to one subscriber, as plain
// JSON, with permessage-deflate, as lanegate.msgpack.v1, and both, against
// one gateway (LANEGATE_OPS_DEFLATE=on: a client that does not offer
// deflate gets plain frames). Variants alternate within each round, the
// order rotating; each figure is the median of its per-round ratios to
// plain JSON of the same round. Twice: over loopback, and through a paced
// relay (a slower link), because compression trades CPU for bytes and
// loopback makes bytes free. Reported beside the rates: bytes on the wire
// per delivery, and CPU per delivery of the gateway process (all its
// threads, from /proc/<pid>/stat) and of the client process.

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startGateway } from '../../test/helpers/gateway-process.js';
import { fmt, machine, median, table, writeResult } from '../report.js';
import type { LargeArgs, LargeReport } from './large-client.js';
import { startLink } from './link.js';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

export interface Variant {
  name: string;
  msgpack: boolean;
  deflate: boolean;
}
export const VARIANTS: readonly Variant[] = [
  { name: 'JSON', msgpack: false, deflate: false },
  { name: 'JSON + deflate', msgpack: false, deflate: true },
  { name: 'MessagePack', msgpack: true, deflate: false },
  { name: 'MessagePack + deflate', msgpack: true, deflate: true },
];

export interface LargeRow {
  link: string;
  variant: string;
  round: number;
  report: LargeReport;
  /** Gateway CPU per delivery (µs), every thread of its process. */
  gatewayCpuUs: number;
}

function child(args: LargeArgs): Promise<LargeReport> {
  const c = fork(here('./large-client.js'), [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    c.once('message', (m: { report?: LargeReport; error?: string }) => (m.report ? resolve(m.report) : reject(new Error(m.error))));
    c.once('exit', (code) => code !== 0 && reject(new Error(`large-client exited with ${code}`)));
  });
}

/** utime + stime of a whole process, in µs (clock ticks of 10 ms on Linux). */
function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

export interface LargeOptions {
  say: (s: string) => void;
  rounds?: number;
  payloadBytes?: number;
  window?: number;
  durationMs?: number;
  /** The slower link's rate each way, megabits/s. */
  linkMbps?: number;
}

export async function runLargeBench(o: LargeOptions): Promise<{ rows: LargeRow[]; summary: Record<string, unknown>[] }> {
  const rounds = o.rounds ?? 3;
  const payloadBytes = o.payloadBytes ?? 64 * 1024;
  const window = o.window ?? 16;
  const durationMs = o.durationMs ?? 3000;
  const linkMbps = o.linkMbps ?? 100;
  const gw = await startGateway({ LANEGATE_OPS_PORT: '0', LANEGATE_OPS_DEFLATE: 'on', LANEGATE_OPS_RATE: '0', LANEGATE_CONV_RATE: '0' });
  const link = await startLink(gw.opsUrl!, linkMbps);
  const rows: LargeRow[] = [];
  const links = [
    { name: 'loopback', url: gw.opsUrl! },
    { name: `${linkMbps} Mbit/s link`, url: link.url(gw.opsUrl!) },
  ];
  try {
    for (const l of links) {
      for (let round = 1; round <= rounds; round++) {
        const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
        for (const v of order) {
          const cpu0 = processCpuUs(gw.proc.pid!);
          const report = await child({ url: l.url, msgpack: v.msgpack, deflate: v.deflate, payloadBytes, window, durationMs });
          // The child's window includes its warm-up and drain: per delivery over everything it sent.
          const gatewayCpuUs = Math.round((processCpuUs(gw.proc.pid!) - cpu0) / Math.max(1, report.sent));
          rows.push({ link: l.name, variant: v.name, round, report, gatewayCpuUs });
          const intact = report.sent === report.acked && report.acked === report.delivered && report.corrupt === 0;
          o.say(
            `  ${l.name.padEnd(16)} round ${round} ${v.name.padEnd(22)} ${fmt(report.perSec)}/s, up ${report.upBytes} B, down ${report.downBytes} B per delivery, gateway ${gatewayCpuUs} µs, client ${report.clientCpuUs} µs CPU; sent ${report.sent} acked ${report.acked} delivered ${report.delivered}${intact ? '' : '  MISMATCH'}`,
          );
        }
      }
    }
  } finally {
    await link.close();
    await gw.stop();
  }
  const summary: Record<string, unknown>[] = [];
  for (const l of links) {
    for (const v of VARIANTS) {
      const mine = rows.filter((r) => r.link === l.name && r.variant === v.name);
      const base = (round: number): LargeRow => rows.find((r) => r.link === l.name && r.variant === 'JSON' && r.round === round)!;
      const ratios = mine.map((r) => r.report.perSec / base(r.round).report.perSec);
      summary.push({
        link: l.name,
        variant: v.name,
        perSec: median(mine.map((r) => r.report.perSec)),
        vsJson: median(ratios),
        rounds: ratios.map((x) => x.toFixed(2)).join(', '),
        upBytes: median(mine.map((r) => r.report.upBytes)),
        downBytes: median(mine.map((r) => r.report.downBytes)),
        jsonBytes: mine[0]!.report.jsonBytes,
        gatewayCpuUs: median(mine.map((r) => r.gatewayCpuUs)),
        clientCpuUs: median(mine.map((r) => r.report.clientCpuUs)),
        intact: mine.every((r) => r.report.sent === r.report.acked && r.report.acked === r.report.delivered && r.report.corrupt === 0),
      });
    }
  }
  return { rows, summary };
}

export function largeReport(summary: Record<string, unknown>[]): string {
  return table(
    ['link', 'variant', 'deliveries/s', 'vs JSON (median; rounds)', 'bytes up / delivery', 'bytes down / delivery', 'gateway CPU µs / delivery', 'client CPU µs / delivery', 'all acked and delivered'],
    summary.map((s) => [
      s.link as string,
      s.variant as string,
      fmt(s.perSec as number),
      `${(s.vsJson as number).toFixed(2)}x (${s.rounds as string})`,
      `${s.upBytes as number} (${((s.upBytes as number) / (s.jsonBytes as number)).toFixed(2)} of the JSON)`,
      `${s.downBytes as number}`,
      s.gatewayCpuUs as number,
      s.clientCpuUs as number,
      s.intact ? 'yes' : 'NO',
    ]),
  );
}

export async function largeBenchMain(say: (s: string) => void, args: { rounds: number; linkMbps: number }): Promise<unknown> {
  const m = machine();
  const t0 = Date.now();
  say(`\nlarge deliveries on the ops port: ~64 KiB JSON sub-agent results, 16 in flight, one subscriber; ${args.rounds} rounds, variants alternating; loopback and a ${args.linkMbps} Mbit/s paced link`);
  const { rows, summary } = await runLargeBench({ say, rounds: args.rounds, linkMbps: args.linkMbps });
  const report = largeReport(summary);
  say(`\n${report}`);
  const seconds = Math.round((Date.now() - t0) / 1000);
  writeResult('ops-large.json', { machine: m, command: 'npm run bench:ops', seconds, rows, summary });
  writeResult(
    'ops-large.md',
    `# Large deliveries on the ops port\n\nMachine: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.date}. Command: \`npm run bench:ops\` (took ${seconds} s).\n\n${report}\n`,
  );
  return { rows, summary };
}
