import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConnectErrorDetailCodes } from '@openclaw/gateway-protocol/connect-error-details';
import { GatewayErrorDetailCodes } from '@openclaw/gateway-protocol/gateway-error-details';
import { WIRE_DETAIL_ORIGIN, WireDetail } from '../../src/protocol/wire-codes.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const OPENCLAW: Record<string, Record<string, string>> = {
  'openclaw-connect': ConnectErrorDetailCodes,
  'openclaw-gateway': GatewayErrorDetailCodes,
};

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

test('each wire details.code is its own name, and OpenClaw-defined ones match OpenClaw protocol tables', () => {
  for (const [code, origin] of Object.entries(WIRE_DETAIL_ORIGIN)) {
    assert.equal(WireDetail[code as keyof typeof WireDetail], code);
    assert.match(code, /^[A-Z][A-Z_]+$/);
    if (origin === 'lanegate') {
      for (const table of Object.values(OPENCLAW)) assert.ok(!(code in table), `${code} is lanegate's own, yet OpenClaw defines it: mark its origin`);
    } else {
      assert.equal(OPENCLAW[origin]![code], code, `${code} is in OpenClaw's ${origin} table`);
    }
  }
});

test("lanegate's own details.code values are documented for clients", () => {
  const docs = [join(ROOT, 'README.md'), ...(existsSync(join(ROOT, 'docs')) ? files(join(ROOT, 'docs'), '.md') : [])].map((f) => readFileSync(f, 'utf8')).join('\n');
  for (const [code, origin] of Object.entries(WIRE_DETAIL_ORIGIN)) {
    if (origin === 'lanegate') assert.ok(docs.includes(code), `${code} is documented in README.md or docs/`);
  }
});

test('no details.code literal outside the table: src/ names them through WireDetail', () => {
  const table = join(ROOT, 'src/protocol/wire-codes.ts');
  const codes = Object.keys(WIRE_DETAIL_ORIGIN);
  for (const f of files(join(ROOT, 'src'), '.ts')) {
    if (f === table) continue;
    const text = readFileSync(f, 'utf8');
    for (const code of codes) assert.ok(!new RegExp(`['"\`]${code}['"\`]`).test(text), `${f.slice(ROOT.length)} writes '${code}' as a literal`);
    // A new code written in place (details: { code: 'X' }) instead of added to the table.
    assert.doesNotMatch(text, /code:\s*['"`][A-Z][A-Z_]{3,}['"`]/, `${f.slice(ROOT.length)}: a details.code literal; add it to src/protocol/wire-codes.ts`);
  }
});
