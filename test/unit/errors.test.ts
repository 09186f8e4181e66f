import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, ErrorCodes, LanegateError } from '../../src/errors.js';

// The error code table lives in docs/operations.md (the README links to it).
const DOC = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

test('every error code is unique and documented in docs/operations.md', () => {
  const codes = Object.values(ErrorCodes);
  assert.equal(new Set(codes).size, codes.length, 'unique');
  for (const code of codes) {
    assert.match(code, /^LANEGATE_ERR_[A-Z_]+$/);
    assert.ok(DOC.includes(`| \`${code}\` |`), `${code} has a row in the error code table of docs/operations.md`);
  }
});

test('errors carry their code and keep instanceof', () => {
  const e = new ConfigError('LANEGATE_X', 'bad', 'good');
  assert.ok(e instanceof LanegateError);
  assert.equal(e.code, ErrorCodes.CONFIG);
  assert.equal(e.message, 'LANEGATE_X="bad" is invalid: good');
});
