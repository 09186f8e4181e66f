// Named offsets of every SharedArrayBuffer word lanegate uses. Offsets are
// Int32Array indices unless the name ends in _BYTES.
//
// Producer-owned and consumer-owned words sit on separate 128-byte lines:
// a store to a shared cache line invalidates the other core's copy, and on
// a hot ring that false sharing costs several times the copy itself.

/** Bytes reserved for the ring header; the data region starts after it. */
export const RING_HEADER_BYTES = 512;

/** Free-running write index in bytes (uint32, wraps). Written by the producer only. */
export const RING_HEAD = 0;
/**
 * Producer statistics share the head's line: the producer owns that line
 * anyway, so plain stores there cost nothing extra. They are statistics, read
 * with plain loads, and may be a moment stale.
 */
export const RING_STAT_WRITTEN = 1;
/** Times the producer found the ring full. */
export const RING_STAT_FULL = 2;
/** Free-running read index in bytes (uint32, wraps). Written by the consumer only. */
export const RING_TAIL = 32; // byte 128
/** Records read (consumer statistic, on the tail's line). */
export const RING_STAT_READ = 33;
/** Space signal: the producer parks here when the ring is full. */
export const RING_SPACE_PARKED = 64; // byte 256
export const RING_SPACE_SEQ = 65;
/** Bytes the parked producer needs free before it is worth waking. */
export const RING_SPACE_WANTED = 66;

/** Length word of a record that marks "skip to the start of the ring". */
export const RING_WRAP_MARKER = -1;
/**
 * Bytes in front of every record: the length word, then 4 bytes of padding.
 * Records start on 8-byte boundaries, so every record's bytes do too. Why:
 * V8 copies into shared memory word by word only when source and
 * destination are 8-byte aligned alike, and byte by byte otherwise
 * (measured, 16 KiB TypedArray.set into a SharedArrayBuffer: 21-25 GB/s at
 * an 8-aligned offset, 3.4 GB/s at offset +4, which was where a 4-byte
 * prefix put every record).
 */
export const RING_LENGTH_BYTES = 8;
export const RING_ALIGN = 8;

/** Smallest and largest ring data capacity (both powers of two). */
export const RING_MIN_CAPACITY = 1024;
export const RING_MAX_CAPACITY = 1 << 30;

// Doorbell: a parked flag and a sequence word. One doorbell per consumer
// thread. Each pair lives on its own 128-byte line.
export const SIGNAL_BYTES = 256;
export const SIGNAL_PARKED = 0;
export const SIGNAL_SEQ = 1;

// Conversation gate: shared by the conv worker (writer) and the ops worker
// (reader) for admission control. The count and its idle signal sit on
// separate lines.
export const GATE_BYTES = 256;
/** Conv requests written to the conv ring and not yet answered (conv worker's count). */
export const GATE_CONV_INFLIGHT = 0;
export const GATE_IDLE_PARKED = 32; // byte 128
export const GATE_IDLE_SEQ = 33;
