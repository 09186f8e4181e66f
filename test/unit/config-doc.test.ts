import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** Every name loadConfig reads from its environment (it reads each one even when none is set). */
function variablesRead(): string[] {
  const read = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_t, name) {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  return [...read].sort();
}

test('every environment variable the configuration reads has a row in the README configuration table', () => {
  const names = variablesRead();
  // A check that saw nothing would pass vacuously.
  assert.ok(names.length >= 40, `loadConfig read ${names.length} variables`);
  for (const name of names) {
    const row = README.includes(`\n| \`${name}\` |`);
    // Aliases are named in their variable's row: `18789` (also read: `OPENCLAW_GATEWAY_PORT`).
    const alias = README.includes(`also read: \`${name}\``);
    assert.ok(row || alias, `${name} has a row (or is an alias in a row) of the README configuration table`);
  }
});
