import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, ErrorCodes, LanegateError } from '../../src/errors.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

test('every error code is unique and documented in the README', () => {
  const codes = Object.values(ErrorCodes);
  assert.equal(new Set(codes).size, codes.length, 'unique');
  for (const code of codes) {
    assert.match(code, /^LANEGATE_ERR_[A-Z_]+$/);
    assert.ok(README.includes(`\`${code}\``), `${code} is documented in README.md`);
  }
});

test('errors carry their code and keep instanceof', () => {
  const e = new ConfigError('LANEGATE_X', 'bad', 'good');
  assert.ok(e instanceof LanegateError);
  assert.equal(e.code, ErrorCodes.CONFIG);
  assert.equal(e.message, 'LANEGATE_X="bad" is invalid: good');
});
