import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The benchmark runner refuses a bad command line before it runs anything:
// exit 2 and one line naming the flag (a typo must not start a 3-minute run
// or overwrite bench/results).

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

function refused(args: string[], flag: RegExp): void {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, `${args.join(' ')}: stderr ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, 'one line');
  assert.match(lines[0]!, flag);
  assert.doesNotMatch(r.stdout, /records\/s|conv ack/, 'nothing was measured');
}

test('bench runner: bad tuning flags exit 2 before anything runs', () => {
  refused(['--compare', 'LANEGATE_OPS_NICE'], /^bench: --compare LANEGATE_OPS_NICE: expected NAME=value/);
  refused(['--compare', 'LANEGATE_OPS_NICE=0;-', '--rounds', '0'], /^bench: --rounds 0: a whole number from 1 to 50/);
  refused(['--compare'], /^bench: --compare needs its settings/);
  refused(['--compare', '--rounds', '3'], /^bench: --compare needs its settings/);
  refused(['--compare', 'LANEGATE_OPS_NICE=0;'], /^bench: --compare LANEGATE_OPS_NICE=0;: an empty setting/);
  refused(['--compare', '-', '--modes', 'dual-port'], /^bench: --modes does not apply to --compare/);
  refused(['--scope', 'e2e', '--env', 'LANEGATE_OPS_NICE=0'], /^bench: --env and --rates are for tuning runs/);
  refused(['--scope', 'e2e', '--modes', 'triple-port'], /^bench: --modes triple-port: each must be one of/);
  refused(['--scope', 'e2e', '--modes', 'dual-port', '--rates', 'fast'], /^bench: --rates fast/);
});
