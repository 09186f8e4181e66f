import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pack, Packr, unpack } from 'msgpackr';
import { admit, admitMsgpack } from '../../src/protocol/admit.js';
import { eventOpenRaw, resOk } from '../../src/protocol/frames.js';
import { methodsFor, type ScopeName } from '../../src/protocol/methods.js';
import { decodeMsgpackFrame, MSGPACK_MAX_DEPTH, msgpackEventOpen, msgpackEventWithSeq, msgpackFromJson } from '../../src/protocol/msgpack.js';
import { decodeDeliver } from '../../src/queue/deliver-record.js';

const ctx = { methods: methodsFor('ops', false), scopes: new Set<ScopeName>(['ops.read', 'ops.write']), opsUrl: null };
const deliver = {
  type: 'req',
  id: 'd1',
  method: 'ops.deliver',
  params: { lane: 'subagent', sessionKey: 'agent:main:main', idempotencyKey: 'k-1', kind: 'subagent.result', payload: { text: 'héllo ✓ 😀', n: [1, -2, 3.5, 2 ** 40], ok: true, none: null, nested: { a: { b: [] } } } },
};

test('a MessagePack ops.deliver becomes the same ring record as its JSON twin', () => {
  const fromJson = admit(Buffer.from(JSON.stringify(deliver)), ctx);
  const fromMsgpack = admitMsgpack(pack(deliver), ctx);
  assert.ok(fromJson.ok && fromMsgpack.ok);
  assert.equal(fromMsgpack.split, true);
  assert.deepEqual(decodeDeliver(fromMsgpack.body as string), decodeDeliver(fromJson.body as string));
  assert.deepEqual(JSON.parse(decodeDeliver(fromMsgpack.body as string).payloadJson), deliver.params.payload);
});

test('other methods reach the runtime as the JSON of the frame', () => {
  const sub = { type: 'req', id: 's1', method: 'ops.subscribe', params: { afterSeq: 0, lanes: ['cron'] } };
  const a = admitMsgpack(pack(sub), ctx);
  assert.ok(a.ok);
  assert.equal(a.split, false);
  assert.deepEqual(JSON.parse(a.body as string), sub);
});

test('malformed MessagePack gets the same error shape as malformed JSON', () => {
  const json = admit(Buffer.from('{"type":'), ctx);
  const cases = [Buffer.from([0xc1]), pack(deliver).subarray(0, 20), Buffer.concat([pack({ a: 1 }), Buffer.from([1])]), Buffer.alloc(0)];
  for (const raw of cases) {
    const m = admitMsgpack(raw, ctx);
    assert.ok(!json.ok && !m.ok);
    const [je, me] = [JSON.parse(json.reply), JSON.parse(m.reply)];
    assert.equal(me.id, je.id);
    assert.equal(me.error.code, je.error.code);
    assert.equal(me.error.message, 'invalid frame: not valid MessagePack');
  }
});

test('values JSON cannot carry are refused with where they are', () => {
  const withPayload = (payload: unknown): Buffer => pack({ ...deliver, params: { ...deliver.params, payload } });
  const cases: [Buffer, RegExp][] = [
    [withPayload({ blob: Buffer.from([1, 2]) }), /frame\.params\.payload\.blob holds bin/],
    [withPayload({ when: new Date(0) }), /holds a timestamp/],
    [withPayload({ x: NaN }), /non-finite number/],
    [withPayload([Infinity]), /non-finite number/],
    [new Packr({ useRecords: false, encodeUndefinedAsNil: false }).pack({ ...deliver, params: { ...deliver.params, payload: { u: undefined } } }), /holds undefined/],
  ];
  for (const [raw, why] of cases) {
    const d = decodeMsgpackFrame(raw);
    assert.ok(!d.ok, String(why));
    assert.match(d.message, why);
    const a = admitMsgpack(raw, ctx);
    assert.ok(!a.ok);
    assert.equal(JSON.parse(a.reply).error.code, 'INVALID_REQUEST');
  }
});

test('nesting is bounded (deeper than the limit is refused, not a stack overflow)', () => {
  const deep = (n: number): Buffer => Buffer.concat([Buffer.alloc(n, 0x91), Buffer.from([0xc0])]);
  assert.ok(decodeMsgpackFrame(deep(MSGPACK_MAX_DEPTH - 1)).ok);
  const over = decodeMsgpackFrame(deep(MSGPACK_MAX_DEPTH + 1));
  assert.ok(!over.ok);
  assert.match(over.message, /nested/);
  const overflow = decodeMsgpackFrame(deep(200_000));
  assert.ok(!overflow.ok);
  assert.match(overflow.message, /nested too deeply|not valid MessagePack/);
});

test('outbound: a JSON reply and an event with its per-connection seq decode to what the JSON frames say', () => {
  const res = resOk('d1', { accepted: true, seq: 7 });
  assert.deepEqual(unpack(msgpackFromJson(res)), JSON.parse(res));
  assert.deepEqual(unpack(msgpackFromJson(Buffer.from(res))), JSON.parse(res));
  const payload = { seq: 9, lane: 'cron', sessionKey: 's', kind: 'k', idempotencyKey: 'i', ts: 1, payload: deliver.params.payload };
  const open = Buffer.from(eventOpenRaw('ops', JSON.stringify(payload)));
  const packed = msgpackEventOpen(open);
  for (const seq of [1, 127, 128, 70_000, 2 ** 33]) {
    assert.deepEqual(unpack(msgpackEventWithSeq(packed, seq)), JSON.parse(`${open.toString()},"seq":${seq}}`));
  }
  assert.throws(() => msgpackEventOpen(Buffer.from(res)), /not an event frame/);
});
