// Queue throughput: lanegate's ring and priority consumer against
// MessagePort.postMessage (strings, copied bytes) and ringbuf.js with the
// same length-prefixed framing, in one run, so the report is ratios.
//
// Each tinybench iteration moves N records from a producer worker to the
// main thread; workers, rings and buffers are built outside the measured
// function. The main thread never blocks: it parks with Atomics.waitAsync,
// as the gateway runtime does. Ring consumers run two ways:
// - `in place`: the consumer reads each record where it lies (lanegate's
//   ring) or pops it into a reused scratch buffer (ringbuf.js, whose API
//   copies), and touches its bytes: the queue's own cost;
// - `string`: each record ends as a JS string on the main thread, as the
//   gateway runtime needs it (and as postMessage-string delivers it).
// postMessage-bytes delivers each record as a copied Uint8Array.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { RingBuffer } from 'ringbuf.js';
import { Bench } from 'tinybench';
import { PriorityConsumer } from '../../src/queue/priority.js';
import { Ring } from '../../src/queue/ring.js';
import { Signal } from '../../src/queue/signal.js';
import { median } from '../report.js';
import { LENGTH_PREFIX, payload, type ProducerInit, type Transport } from './transports.js';

export const SIZES = [64, 1024, 16384] as const;
/** The ops ring's default size (LANEGATE_OPS_RING_BYTES), where bulk records travel. */
const RING_BYTES = 1 << 22;
/** Records per iteration, by size: enough that one iteration takes milliseconds. */
const PER_ITERATION: Record<number, number> = { 64: 100_000, 1024: 50_000, 16384: 10_000 };

export type Consumer = 'in place' | 'string';

export interface QueueRow {
  scope: 'one-thread' | 'cross-thread';
  transport: Transport | 'ring (one thread)';
  /** How the main thread takes each record (postMessage: as delivered). */
  consumer: Consumer | 'as delivered';
  size: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Milliseconds per iteration of `records` records: the median over rounds of each round's median. */
  medianMs: number;
  records: number;
  samples: number;
}

let sink = 0;

interface Harness {
  /** Moves n records; resolves when the main thread has taken all of them. */
  move(n: number): Promise<void>;
  close(): Promise<void>;
}

function startProducer(init: ProducerInit): Worker {
  return new Worker(new URL('./producer-worker.js', import.meta.url), { workerData: init });
}

/** The consumer's per-record work: read in place, or decode to a string as the runtime does. */
function decoder(ring: Ring, consumer: Consumer): (start: number, length: number) => void {
  if (consumer === 'in place') {
    const bytes = ring.bytes;
    return (start, length) => {
      sink ^= bytes[start]! ^ bytes[start + length - 1]!;
    };
  }
  const text = Buffer.from(ring.sab, ring.bytes.byteOffset, ring.capacity);
  return (start, length) => {
    sink ^= text.toString('utf8', start, start + length).length;
  };
}

/**
 * The parking policy of both ring consumers (lanegate's and ringbuf.js's),
 * the runtime's PriorityConsumer's: a drain that took records is followed by
 * one more event-loop turn; only a look that found nothing parks on the
 * doorbell.
 */
async function waitForMore(doorbell: Signal, took: number, ready: () => boolean): Promise<void> {
  if (took > 0) await nextTurn();
  else await doorbell.sleepUnless(ready);
}

/** Drain `ring` until `n` records arrived. */
async function consumeRing(ring: Ring, doorbell: Signal, n: number, consumer: Consumer): Promise<void> {
  let got = 0;
  const take = decoder(ring, consumer);
  while (got < n) {
    const k = ring.drainAt(4096, take);
    got += k;
    if (got >= n) break;
    await waitForMore(doorbell, k, () => !ring.isEmpty());
  }
}

function ringHarness(size: number, consumer: Consumer): Harness {
  const sab = Ring.storageFor(RING_BYTES);
  const bell = Signal.storage();
  const worker = startProducer({ transport: 'ring', size, rings: [sab], doorbell: bell, space: Signal.storage() });
  const ring = new Ring(sab);
  const doorbell = Signal.over(bell);
  return {
    async move(n) {
      worker.postMessage({ n });
      await consumeRing(ring, doorbell, n, consumer);
    },
    close: () => worker.terminate().then(() => undefined),
  };
}

/** Two rings (conv, ops) behind the gateway's PriorityConsumer; the producer alternates them. */
function priorityHarness(size: number, consumer: Consumer): Harness {
  const sabs = [Ring.storageFor(RING_BYTES), Ring.storageFor(RING_BYTES)];
  const bell = Signal.storage();
  const worker = startProducer({ transport: 'priority', size, rings: sabs, doorbell: bell, space: Signal.storage() });
  const [conv, ops] = sabs.map((s) => new Ring(s)) as [Ring, Ring];
  let got = 0;
  let target = 0;
  let done: () => void = () => {};
  const source = (r: Ring) => {
    const decode = decoder(r, consumer);
    const take = (start: number, length: number): void => {
      decode(start, length);
      if (++got === target) done();
    };
    return { take: (max: number) => r.drainAt(max, take), hasWork: () => !r.isEmpty() };
  };
  const pq = new PriorityConsumer(Signal.over(bell), [source(conv)], [source(ops)], {
    maxPerTurn: 4096,
    opsOpen: () => true,
    onError: (e) => {
      throw e;
    },
  });
  pq.start();
  return {
    move(n) {
      got = 0;
      target = n;
      const p = new Promise<void>((r) => (done = r));
      worker.postMessage({ n });
      return p;
    },
    async close() {
      pq.stop();
      await worker.terminate();
    },
  };
}

function ringbufHarness(size: number, consumer: Consumer): Harness {
  const sab = RingBuffer.getStorageForCapacity(RING_BYTES, Uint8Array);
  const bell = Signal.storage();
  const spaceSab = Signal.storage();
  const worker = startProducer({ transport: 'ringbuf.js', size, rings: [sab], doorbell: bell, space: spaceSab });
  const rb = new RingBuffer(sab, Uint8Array);
  const doorbell = Signal.over(bell);
  const space = Signal.over(spaceSab);
  const header = new Uint8Array(LENGTH_PREFIX);
  const headerView = new DataView(header.buffer);
  const scratch = Buffer.alloc(size);
  return {
    async move(n) {
      worker.postMessage({ n });
      let got = 0;
      while (got < n) {
        let k = 0;
        while (rb.available_read() >= LENGTH_PREFIX) {
          rb.pop(header, LENGTH_PREFIX);
          const length = headerView.getUint32(0, true);
          rb.pop(scratch, length);
          sink ^= consumer === 'string' ? scratch.toString('utf8', 0, length).length : scratch[0]! ^ scratch[length - 1]!;
          got++;
          k++;
        }
        space.wake();
        if (got >= n) break;
        await waitForMore(doorbell, k, () => rb.available_read() > 0);
      }
    },
    close: () => worker.terminate().then(() => undefined),
  };
}

function postMessageHarness(transport: 'postMessage-string' | 'postMessage-bytes', size: number): Harness {
  const worker = startProducer({ transport, size, rings: [], doorbell: Signal.storage(), space: Signal.storage() });
  let left = 0;
  let done: () => void = () => {};
  worker.on('message', (m: string | Uint8Array) => {
    sink ^= typeof m === 'string' ? m.length : (m[0] ?? 0);
    if (--left === 0) done();
  });
  return {
    move(n) {
      left = n;
      const p = new Promise<void>((r) => (done = r));
      worker.postMessage({ n });
      return p;
    },
    close: () => worker.terminate().then(() => undefined),
  };
}

function harness(t: Transport, size: number, consumer: Consumer): Harness {
  switch (t) {
    case 'ring':
      return ringHarness(size, consumer);
    case 'priority':
      return priorityHarness(size, consumer);
    case 'ringbuf.js':
      return ringbufHarness(size, consumer);
    default:
      return postMessageHarness(t, size);
  }
}

const isRing = (t: Transport): boolean => t === 'ring' || t === 'priority' || t === 'ringbuf.js';

/** One thread: write a batch, drain it, repeat (the ring's own cost, no wake-ups). */
function oneThreadRound(ring: Ring, body: Uint8Array, n: number, consumer: Consumer): void {
  const take = decoder(ring, consumer);
  for (let done = 0; done < n; ) {
    let k = 0;
    while (k < 256 && done + k < n && ring.tryWrite(body)) k++;
    done += ring.drainAt(k, take);
  }
}

/**
 * Rounds per size. The VM drifts by tens of percent within seconds, and
 * tinybench runs its tasks one after the other, so a single pass compares
 * transports measured at different moments. Each round runs every task
 * briefly; a row's rate is the median of its rounds.
 */
export const ROUNDS = 3;

export async function runQueueBench(opts: { timeMs: number; transports?: Transport[] }): Promise<QueueRow[]> {
  const transports: Transport[] = opts.transports ?? ['ring', 'priority', 'ringbuf.js', 'postMessage-string', 'postMessage-bytes'];
  const rows: QueueRow[] = [];
  for (const size of SIZES) {
    const n = PER_ITERATION[size]!;
    const ring = new Ring(Ring.storageFor(RING_BYTES));
    const body = payload(size);
    /** One per measured task; `medians` and `samples` collect over the rounds. */
    const tasks: { name: string; meta: Pick<QueueRow, 'scope' | 'transport' | 'consumer'>; fn: () => unknown; medians: number[]; samples: number }[] = [];
    const consumers: Consumer[] = ['in place', 'string'];
    for (const consumer of consumers) {
      tasks.push({ name: `one-thread ring (${consumer}) ${size}`, meta: { scope: 'one-thread', transport: 'ring (one thread)', consumer }, fn: () => oneThreadRound(ring, body, n, consumer), medians: [], samples: 0 });
    }
    const harnesses: Harness[] = [];
    for (const t of transports) {
      for (const consumer of isRing(t) ? consumers : (['in place'] as Consumer[])) {
        const h = harness(t, size, consumer);
        harnesses.push(h);
        tasks.push({
          name: `cross-thread ${t} (${consumer}) ${size}`,
          meta: { scope: 'cross-thread', transport: t, consumer: isRing(t) ? consumer : 'as delivered' },
          // An async function: tinybench probes non-async functions by calling them once, which here would start a second, unawaited transfer.
          fn: async () => {
            await h.move(n);
          },
          medians: [],
          samples: 0,
        });
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      const bench = new Bench({ name: `queue ${size} B round ${round + 1}`, time: opts.timeMs / ROUNDS, iterations: 6, warmupIterations: 2, throws: true });
      for (const t of tasks) bench.add(t.name, t.fn);
      await bench.run();
      for (const task of bench.tasks) {
        const r = task.result;
        if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
        const t = tasks.find((x) => x.name === task.name)!;
        t.medians.push(r.latency.p50);
        t.samples += r.latency.samplesCount ?? 0;
      }
    }
    for (const t of tasks) {
      const medianMs = median(t.medians);
      const recordsPerSec = n / (medianMs / 1000);
      rows.push({
        ...t.meta,
        size,
        recordsPerSec: Math.round(recordsPerSec),
        mbPerSec: Math.round(((recordsPerSec * size) / 1e6) * 10) / 10,
        medianMs: Math.round(medianMs * 1000) / 1000,
        records: n,
        samples: t.samples,
      });
    }
    for (const h of harnesses) await h.close();
  }
  if (sink === 0.5) console.log('unreachable', sink);
  return rows;
}
