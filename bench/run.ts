// One benchmark runner: `--scope queue` (npm run bench), `--scope e2e`
// (npm run bench:e2e), `--scope ops` (npm run bench:ops: large deliveries,
// `--rounds`, `--link-mbps`), `--scope idle` (npm run bench:idle: CPU and
// wake-ups with no client, `--windows`, `--env`), `--scope rr` (npm run
// bench:rr: CPU and wake-ups per request/response, `--rounds`, `--env`),
// `--scope all`; `--json` prints JSON instead of tables.
// Tuning runs: `--modes dual-port` (e2e modes to run) and
// `--env LANEGATE_OPS_NICE=19` (extra gateway environment), `--rates max`
// (flood rates after the idle phase); A/B: `--compare
// "LANEGATE_OPS_NICE=0;LANEGATE_OPS_NICE=10" --rounds 6` (saturated phases of
// each setting and the baseline, alternating; see e2e/compare.ts).

import { fmt, machine, ratio, table, writeResult } from './report.js';
import { ROUNDS, runQueueBench, SIZES, type QueueRow } from './queue/queue-bench.js';

/** A bad command line: one line naming the flag, exit 2 (nothing runs, no result file is touched). */
function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] && !process.argv[i + 1]!.startsWith('--') ? process.argv[i + 1]! : dflt;
}
/** `NAME=value,NAME=value` (empty or `-`: the defaults). */
function parseEnv(text: string, flag: string): Record<string, string> {
  if (text === '-') return {};
  return Object.fromEntries(
    text
      .split(',')
      .filter(Boolean)
      .map((kv) => {
        const at = kv.indexOf('=');
        if (at <= 0) usage(`--${flag} ${kv}: expected NAME=value`);
        return [kv.slice(0, at), kv.slice(at + 1)];
      }),
  );
}

const json = process.argv.includes('--json');
const scope = arg('scope', 'queue');
const say = (s: string): void => {
  if (!json) console.log(s);
};

function queueReport(rows: QueueRow[]): string {
  const out: string[] = [];
  for (const size of SIZES) {
    const of = (t: string, c: string): QueueRow | undefined => rows.find((r) => r.size === size && r.transport === t && r.consumer === c);
    const pmString = of('postMessage-string', 'as delivered')?.recordsPerSec ?? 0;
    const pmBytes = of('postMessage-bytes', 'as delivered')?.recordsPerSec ?? 0;
    out.push(`\n${size} B records`);
    out.push(
      table(
        ['transport', 'consumer', 'records/s', 'MB/s', 'median ms / batch', 'vs postMessage string', 'vs postMessage bytes', 'vs ringbuf.js (same consumer)'],
        rows
          .filter((r) => r.size === size)
          .map((r) => {
            const rb = of('ringbuf.js', r.consumer)?.recordsPerSec ?? 0;
            return [r.transport, r.consumer, fmt(r.recordsPerSec), r.mbPerSec, `${r.medianMs} (${r.records})`, ratio(r.recordsPerSec, pmString), ratio(r.recordsPerSec, pmBytes), rb ? ratio(r.recordsPerSec, rb) : '-'];
          }),
      ),
    );
  }
  return out.join('\n');
}

/** `--compare`: an A/B tuning run and nothing else (no result file is written). */
async function compareRun(results: Record<string, unknown>): Promise<void> {
  const spec = arg('compare', '');
  if (!spec) usage('--compare needs its settings, e.g. --compare "LANEGATE_OPS_NICE=0;-" (- for the defaults)');
  const other = ['scope', 'modes', 'rates', 'env'].find((f) => process.argv.includes(`--${f}`));
  if (other) usage(`--${other} does not apply to --compare (it runs saturated dual-port phases against the baseline)`);
  const rounds = Number(arg('rounds', '6'));
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) usage(`--rounds ${arg('rounds', '')}: a whole number from 1 to 50`);
  const envs = spec.split(';').map((part) => {
    if (part.trim() === '') usage(`--compare ${spec}: an empty setting (write - for the defaults)`);
    return parseEnv(part.trim(), 'compare');
  });
  const { compareSettings } = await import('./e2e/compare.js');
  say(`\nA/B under a saturating ops flood: ${envs.length} dual-port settings and the one-socket baseline, ${rounds} rounds, rotating order`);
  results.compare = await compareSettings(envs, rounds, say);
}

async function main(): Promise<void> {
  const m = machine();
  say(`lanegate benchmarks on ${m.cpu}, ${m.cores} cores, node ${m.node}`);
  const results: Record<string, unknown> = { machine: m };
  if (process.argv.includes('--compare')) {
    await compareRun(results);
    if (json) console.log(JSON.stringify(results, null, 2));
    process.exit(0);
  }
  if (scope === 'queue' || scope === 'all') {
    say(`\nqueue throughput: producer worker -> main thread; consumer "in place" reads each record where it lies (ringbuf.js: pops it into a scratch buffer), "string" decodes it to a JS string as the runtime does; postMessage delivers a string or a copied Uint8Array; each rate is the median of ${ROUNDS} interleaved rounds of tinybench medians`);
    const rows = await runQueueBench({ timeMs: Number(arg('time', '1500')) });
    const report = queueReport(rows);
    say(report);
    results.queue = rows;
    const path = writeResult('queue.json', { machine: m, command: 'npm run bench', rows });
    writeResult('queue.md', `# Queue throughput\n\nMachine: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.date}. Command: \`npm run bench\`.\n${report}\n`);
    say(`\nwrote ${path}`);
  }
  if (scope === 'e2e' || scope === 'all') {
    const { MODES, runE2E } = await import('./e2e/e2e-bench.js');
    const modes = arg('modes', '');
    const envArg = arg('env', '');
    const ratesArg = arg('rates', '');
    // Tuning flags only make sense for a tuning run: without --modes the full report would run and overwrite bench/results.
    if (!modes && (envArg || ratesArg)) usage('--env and --rates are for tuning runs: add --modes (e.g. --modes dual-port)');
    const modeList = modes ? modes.split(',') : [];
    const badMode = modeList.find((m) => !(MODES as readonly string[]).includes(m));
    if (badMode !== undefined) usage(`--modes ${modes}: each must be one of ${MODES.join(', ')}`);
    const env = parseEnv(envArg, 'env');
    const rates = ratesArg
      ? ratesArg.split(',').map((r) => {
          if (r === 'max') return 0;
          if (!/^[1-9]\d*$/.test(r)) usage(`--rates ${ratesArg}: each must be a positive whole number of deliveries/s or max`);
          return Number(r);
        })
      : null;
    results.e2e = await runE2E({
      say,
      ...(modes ? { modes: modeList as never } : {}),
      ...(rates ? { rates } : {}),
      env,
    });
  }
  if (scope === 'ops' || scope === 'all') {
    const { largeBenchMain } = await import('./ops/large-bench.js');
    const rounds = Number(arg('rounds', '3'));
    const linkMbps = Number(arg('link-mbps', '100'));
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) usage(`--rounds ${arg('rounds', '')}: a whole number from 1 to 50`);
    if (!(linkMbps > 0 && linkMbps <= 100_000)) usage(`--link-mbps ${arg('link-mbps', '')}: megabits per second, more than 0 and at most 100000`);
    results.ops = await largeBenchMain(say, { rounds, linkMbps });
  }
  if (scope === 'rr' || scope === 'all') {
    const { rrCostMain } = await import('./e2e/rr-cost.js');
    const rounds = Number(arg('rounds', '4'));
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) usage(`--rounds ${arg('rounds', '')}: a whole number from 1 to 50`);
    results.rr = await rrCostMain(say, { rounds, env: parseEnv(arg('env', '-'), 'env') });
  }
  if (scope === 'idle' || scope === 'all') {
    const { idleBenchMain } = await import('./idle/idle-cpu.js');
    const windows = Number(arg('windows', '3'));
    if (!Number.isInteger(windows) || windows < 1 || windows > 20) usage(`--windows ${arg('windows', '')}: a whole number from 1 to 20`);
    results.idle = await idleBenchMain(say, { windows, windowMs: 15_000, env: parseEnv(arg('env', '-'), 'env') });
  }
  if (json) console.log(JSON.stringify(results, null, 2));
  process.exit(0);
}

void main();
