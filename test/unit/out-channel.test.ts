// OutChannel (main -> socket worker): frames larger than the ring travel in
// parts flagged MORE; frames sent while the ring is full are held in order
// and written as the worker drains. The worker is a real thread
// (fixtures/out-consumer) that joins parts and posts whole frames back.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutChannel } from '../../src/queue/out-channel.js';
import { OutKind, outHeaderBytes } from '../../src/queue/records.js';
import { Ring } from '../../src/queue/ring.js';
import { Signal } from '../../src/queue/signal.js';
import type { FrameMessage, OutConsumerData } from '../fixtures/out-consumer.js';
import { Prng } from '../helpers/prng.js';
import { startFixture, type Fixture } from '../helpers/workers.js';

const opts = { timeout: 30_000 };
const CAPACITY = 4096;

interface Frame {
  kind: number;
  conns: number[];
  body: string;
}

interface Rig {
  ring: Ring;
  channel: OutChannel;
  received: FrameMessage[];
  drains: number;
  consumer: Fixture;
  openGate(): void;
}

function rig(frames: number, gateOpen: boolean): Rig {
  const data: OutConsumerData = {
    ring: Ring.storageFor(CAPACITY),
    doorbell: Signal.storage(),
    gate: new SharedArrayBuffer(4),
    frames,
    timeoutMs: 20_000,
  };
  const gate = new Int32Array(data.gate);
  gate[0] = gateOpen ? 1 : 0;
  const ring = new Ring(data.ring);
  const received: FrameMessage[] = [];
  const r: Rig = {
    ring,
    channel: new OutChannel(ring, Signal.over(data.doorbell), false),
    received,
    drains: 0,
    consumer: startFixture('out-consumer', data, (m) => received.push(m as FrameMessage)),
    openGate: () => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    },
  };
  r.channel.onDrain = () => r.drains++;
  return r;
}

/** Text with 1-, 2- and 3-byte UTF-8 characters, so byte and character counts differ and parts split characters. */
function text(rng: Prng, chars: number): string {
  const alphabet = 'abcdefghij€éß{}":,0123456789';
  let s = '';
  for (let i = 0; i < chars; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

function assertReceived(got: FrameMessage[], sent: Frame[]): void {
  assert.equal(got.length, sent.length, 'frame count');
  sent.forEach((f, i) => {
    const g = got[i]!;
    assert.equal(g.kind, f.kind, `frame ${i} kind`);
    assert.deepEqual(g.conns, f.conns, `frame ${i} connections`);
    assert.equal(Buffer.from(g.body).toString('utf8'), f.body, `frame ${i} body (${Buffer.byteLength(f.body)} bytes in ${g.parts} parts)`);
  });
}

describe('OutChannel', () => {
  it('splits frames larger than the ring into MORE parts that arrive whole and in order', opts, async (t) => {
    const rng = new Prng(0x0c4a);
    const sent: Frame[] = [];
    for (let i = 0; i < 80; i++) {
      const size = [() => rng.int(0, 300), () => rng.int(1000, 3000), () => rng.int(CAPACITY, 5 * CAPACITY)][rng.int(0, 2)]!();
      const conns = Array.from({ length: rng.int(1, 3) }, () => rng.int(1, 1000));
      sent.push({ kind: rng.int(0, 1) ? OutKind.FRAME : OutKind.EVENT, conns, body: text(rng, size) });
    }
    const r = rig(sent.length, true);
    t.after(() => r.consumer.stop());

    // Send in random groups, yielding between them, so some frames take the
    // direct path and others queue behind held ones while the worker drains.
    for (let i = 0; i < sent.length; ) {
      for (let n = rng.int(1, 8); n > 0 && i < sent.length; n--, i++) r.channel.send(sent[i]!.kind, sent[i]!.conns, sent[i]!.body);
      await new Promise(setImmediate);
    }
    await r.consumer.done;

    assertReceived(r.received, sent);
    const tooBig = sent.filter((f) => outHeaderBytes(f.conns.length) + Buffer.byteLength(f.body) > r.ring.maxRecordBytes);
    assert.ok(tooBig.length > 10);
    r.received.forEach((g, i) => {
      if (tooBig.includes(sent[i]!)) assert.ok(g.parts > 1, `frame ${i} was larger than the ring but came in one record`);
    });
    assert.equal(r.channel.backlogBytes, 0);
    assert.ok(r.drains >= 1, 'onDrain after the held frames went out');
  });

  it('holds frames in order while the ring is full and reports the backlog until it drains', opts, async (t) => {
    const body = (i: number): string => String(i).padStart(296, '-');
    const sent: Frame[] = Array.from({ length: 30 }, (_, i) => ({ kind: OutKind.FRAME, conns: [i + 1], body: body(i) }));
    sent.push({ kind: OutKind.EVENT, conns: [7], body: 'small, after the held ones' });
    const r = rig(sent.length, false);
    t.after(() => r.consumer.stop());

    for (const f of sent) r.channel.send(f.kind, f.conns, f.body);
    // 304-byte records take 312 ring bytes with their prefix: 13 fit in 4096, the other 18 frames wait.
    assert.equal(r.ring.counts().written, 13);
    assert.equal(r.channel.backlogBytes, 17 * 296 + Buffer.byteLength(sent[30]!.body));
    assert.equal(r.drains, 0);

    r.openGate();
    await r.consumer.done;
    assertReceived(r.received, sent);
    assert.equal(r.channel.backlogBytes, 0);
    assert.equal(r.drains, 1, 'onDrain once, when the backlog emptied');
    assert.ok(r.received.every((g) => g.parts === 1), 'frames that fit whole are never split');
  });

  it('keeps two parts of a large frame in the ring, so the worker drains one while the next is written', opts, async (t) => {
    const sent: Frame[] = [{ kind: OutKind.FRAME, conns: [1], body: 'x'.repeat(10_000) }];
    const r = rig(1, false);
    t.after(() => r.consumer.stop());
    r.channel.send(OutKind.FRAME, [1], sent[0]!.body);
    assert.equal(r.ring.counts().written, 2, 'two parts written before the worker reads any');
    assert.equal(r.ring.usedBytes(), CAPACITY, 'the two parts fill the ring exactly');
    r.openGate();
    await r.consumer.done;
    assertReceived(r.received, sent);
    assert.equal(r.channel.backlogBytes, 0);
  });
});
