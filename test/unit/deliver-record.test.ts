import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDeliver, encodeDeliver, encodeDeliverJson, type DeliverFields } from '../../src/protocol/deliver-record.js';

const fields: DeliverFields = { id: 'd7', lane: 'cron', sessionKey: 'agent:main:main', kind: 'cron.done', idempotencyKey: 'job-42' };

test('a delivery round-trips through the length-prefixed form', () => {
  const body = encodeDeliver(fields, '{"ok":true}');
  assert.equal(body, '2:d74:cron15:agent:main:main9:cron.done6:job-42{"ok":true}');
  assert.deepEqual(decodeDeliver(body!), { fields, payloadJson: '{"ok":true}' });
});

test('fields holding digits, colons, newlines, braces, multi-byte text and empty strings survive', () => {
  const odd: DeliverFields = { id: '12:34', lane: 'system', sessionKey: '{"x":1}\n2:ab', kind: 'ünï 字 😀', idempotencyKey: '' };
  for (const payload of ['null', '"9:x"', '[1,2]']) {
    assert.deepEqual(decodeDeliver(encodeDeliver(odd, payload)!), { fields: odd, payloadJson: payload });
  }
});

test('a field with a lone surrogate keeps the JSON header form, which escapes it', () => {
  const lone: DeliverFields = { ...fields, idempotencyKey: 'k\ud800' };
  assert.equal(encodeDeliver(lone, '1'), null);
  const body = encodeDeliverJson(lone, '1');
  assert.ok(Buffer.from(body, 'utf8').toString('utf8') === body, 'the JSON form survives the UTF-8 ring');
  assert.deepEqual(decodeDeliver(body), { fields: lone, payloadJson: '1' });
});

test('a body the socket worker did not write is refused, not misread', () => {
  for (const bad of ['', 'x', '3:ab', ':ab', '2:d7', '99999999999:x']) {
    assert.throws(() => decodeDeliver(bad), /malformed ops.deliver record/, JSON.stringify(bad));
  }
});
