// Producer thread of the queue benchmark. It serves no sockets, so it may
// block with Atomics.wait while a ring is full.

import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer } from 'ringbuf.js';
import { Ring } from '../../src/queue/ring.js';
import { Signal } from '../../src/queue/signal.js';
import { LENGTH_PREFIX, payload, RING_EVERY, type ProduceCommand, type ProducerInit } from './transports.js';

const init = workerData as ProducerInit;
const port = parentPort!;
const doorbell = Signal.over(init.doorbell);
const body = payload(init.size);

function produceRing(rings: Ring[], n: number): void {
  for (let i = 0; i < n; i++) {
    const ring = rings[i % rings.length]!;
    // Staged without publishing; one publish and one doorbell check per batch.
    while (!ring.tryWrite(body, false)) {
      doorbell.wake();
      ring.waitForSpaceSync(body.byteLength);
    }
    if (i % RING_EVERY === RING_EVERY - 1) {
      for (const r of rings) r.publish();
      doorbell.wake();
    }
  }
  for (const r of rings) r.publish();
  doorbell.wake();
}

function produceRingbuf(rb: RingBuffer, space: Signal, n: number): void {
  // The same length-prefixed framing as lanegate's ring, pushed as one write.
  const frame = new Uint8Array(LENGTH_PREFIX + body.byteLength);
  new DataView(frame.buffer).setUint32(0, body.byteLength, true);
  frame.set(body, LENGTH_PREFIX);
  for (let i = 0; i < n; i++) {
    while (rb.available_write() < frame.length) {
      doorbell.wake();
      const seen = space.arm();
      if (rb.available_write() >= frame.length) {
        space.disarm();
        break;
      }
      space.waitSync(seen, 1000);
      space.disarm();
    }
    rb.push(frame, frame.length);
    if (i % RING_EVERY === RING_EVERY - 1) doorbell.wake();
  }
  doorbell.wake();
}

const text = Buffer.from(body).toString('latin1');

let run: (n: number) => void;
switch (init.transport) {
  case 'ring':
  case 'priority': {
    const rings = init.rings.map((s) => new Ring(s));
    run = (n) => produceRing(rings, n);
    break;
  }
  case 'ringbuf.js': {
    const rb = new RingBuffer(init.rings[0]!, Uint8Array);
    const space = Signal.over(init.space);
    run = (n) => produceRingbuf(rb, space, n);
    break;
  }
  case 'postMessage-string':
    run = (n) => {
      for (let i = 0; i < n; i++) port.postMessage(text);
    };
    break;
  case 'postMessage-bytes':
    // Structured clone copies the bytes each time (no transfer): a fair copy-per-record baseline.
    run = (n) => {
      for (let i = 0; i < n; i++) port.postMessage(body);
    };
    break;
}

port.on('message', (m: ProduceCommand) => run(m.n));
