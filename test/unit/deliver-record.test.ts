import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDeliver, encodeDeliver, type DeliverRecord } from '../../src/queue/deliver-record.js';

const rec: DeliverRecord = { id: 'd7', route: { lane: 'cron', sessionKey: 'agent:main:main', kind: 'cron.done', idempotencyKey: 'job-42' }, payloadJson: '{"ok":true}' };

test('a delivery round-trips through the length-prefixed form', () => {
  const body = encodeDeliver(rec);
  assert.equal(body, '2:d74:cron15:agent:main:main9:cron.done6:job-42{"ok":true}');
  assert.deepEqual(decodeDeliver(body), rec);
});

test('fields holding digits, colons, newlines, braces, multi-byte text and empty strings survive', () => {
  const route = { lane: 'system', sessionKey: '{"x":1}\n2:ab', kind: 'ünï 字 😀', idempotencyKey: '' };
  for (const payloadJson of ['null', '"9:x"', '[1,2]']) {
    const odd: DeliverRecord = { id: '12:34', route, payloadJson };
    assert.deepEqual(decodeDeliver(encodeDeliver(odd)), odd);
  }
});

test('a field with a lone surrogate goes in the JSON header form, which escapes it', () => {
  const lone: DeliverRecord = { ...rec, route: { ...rec.route, idempotencyKey: 'k\ud800' }, payloadJson: '1' };
  const body = encodeDeliver(lone);
  assert.ok(body.startsWith('{'), 'the JSON header form');
  assert.ok(Buffer.from(body, 'utf8').toString('utf8') === body, 'the JSON form survives the UTF-8 ring');
  assert.deepEqual(decodeDeliver(body), lone);
});

test('a body the socket worker did not write is refused, not misread', () => {
  for (const bad of ['', 'x', '3:ab', ':ab', '2:d7', '99999999999:x']) {
    assert.throws(() => decodeDeliver(bad), /malformed ops.deliver record/, JSON.stringify(bad));
  }
});
