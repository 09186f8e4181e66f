import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_NESTING, paramsPayloadText } from '../../src/protocol/json-slice.js';
import { Prng } from '../helpers/prng.js';

// The slice must be exactly the payload JSON.parse sees, for any JSON a
// client may send: whitespace, escapes (quotes and backslashes inside
// strings), repeated keys (the last wins), keys written with escapes.

function value(r: Prng, depth: number): unknown {
  const k = r.int(0, depth > 4 ? 4 : 7);
  if (k === 0) return null;
  if (k === 1) return r.int(0, 1) === 1;
  if (k === 2) return r.int(-1e6, 1e6) / (r.int(0, 1) ? 1 : 7);
  if (k <= 4) {
    const parts = ['a', '"', '\\', '\\"', '}', ']', '{', ',', 'é', '😀', '\n', ' ', '\\\\"'];
    return Array.from({ length: r.int(0, 6) }, () => parts[r.int(0, parts.length - 1)]).join('');
  }
  if (k === 5) return Array.from({ length: r.int(0, 4) }, () => value(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = r.int(0, 4); i > 0; i--) o[['payload', 'params', 'x', 'k"q', 'a\\b'][r.int(0, 4)]!] = value(r, depth + 1);
  return o;
}

/** JSON text with random whitespace between tokens (JSON.stringify's indent, or none). */
function write(v: unknown, r: Prng): string {
  return JSON.stringify(v, null, [0, 1, 2, '\t'][r.int(0, 3)] as number | string);
}

test('the slice parses to the payload JSON.parse sees (seeded, 3000 frames)', () => {
  const r = new Prng(20261201);
  for (let i = 0; i < 3000; i++) {
    const payload = value(r, 0);
    const params: Record<string, unknown> = { lane: 'cron', sessionKey: 's', idempotencyKey: `k${i}`, kind: 'k', payload };
    if (r.int(0, 3) === 0) params.extra = value(r, 0);
    const text = write({ type: 'req', id: `d${i}`, method: 'ops.deliver', params }, r);
    const slice = paramsPayloadText(text);
    assert.equal(typeof slice, 'string', text);
    assert.deepEqual(JSON.parse(slice as string), JSON.parse(text).params.payload, text);
  }
});

test('repeated and escaped keys: the last one wins, as in JSON.parse', () => {
  const cases = [
    '{"params":{"payload":1,"payload":[2]},"id":"x"}',
    '{"params":{"payload":1},"params":{"pay\\u006coad":{"b":"}"}}}',
    '{"params":{"payload":"a\\\\","payload":"\\"}"}}',
    '{ "params" : { "x" : { "payload" : 0 } , "payload" : { } } }',
  ];
  for (const text of cases) assert.deepEqual(JSON.parse(paramsPayloadText(text) as string), JSON.parse(text).params.payload, text);
});

test('no payload, or no params object: null (the caller writes it from the parsed value)', () => {
  for (const text of ['{"params":{"x":1}}', '{"id":"a"}', '{"params":[1]}', '{"params":"payload"}']) assert.equal(paramsPayloadText(text), null, text);
});

test('nesting deeper than the limit is reported, not walked into the stack', () => {
  const nest = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
  // params' own brace counts as one level.
  assert.equal(paramsPayloadText(`{"params":{"payload":${nest(MAX_NESTING - 1)}}}`), nest(MAX_NESTING - 1));
  assert.equal(paramsPayloadText(`{"params":{"payload":${nest(MAX_NESTING + 1)}}}`), 'too deep');
  assert.equal(paramsPayloadText(`{"params":{"payload":${nest(200_000)}}}`), 'too deep');
});
