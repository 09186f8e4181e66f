// Shared definitions of the cross-thread transports the queue benchmark
// compares. The producer side runs in bench/queue/producer-worker.ts.

export type Transport = 'ring' | 'priority' | 'ringbuf.js' | 'postMessage-string' | 'postMessage-bytes';

export interface ProducerInit {
  transport: Transport;
  /** Record payload size in bytes. */
  size: number;
  /** Ring storage (ring, priority: two rings; ringbuf.js: one). */
  rings: SharedArrayBuffer[];
  /** The consumer's doorbell. */
  doorbell: SharedArrayBuffer;
  /** ringbuf.js has no space signal of its own: the consumer rings this one. */
  space: SharedArrayBuffer;
}

/** A command from the consumer: produce `n` records. */
export interface ProduceCommand {
  n: number;
}

/** Bytes of the length prefix both ring framings use. */
export const LENGTH_PREFIX = 4;
/** Records a producer writes before it rings the doorbell (also rung when blocked or done). */
export const RING_EVERY = 32;

/**
 * A payload whose bytes depend on its size only (built once, outside the
 * measured loop): printable ASCII, like the JSON the gateway moves, and the
 * same text every transport carries (postMessage-string sends it as a string).
 */
export function payload(size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = 32 + ((i * 31 + 7) % 95);
  return p;
}
