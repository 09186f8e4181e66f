// Shared between priority-interleaved.test.ts and its worker fixture
// (fixtures/interleave-producer.ts): the control words both sides use.

/** Int32 indices in InterleaveData.control. */
export const CTL_OPS_HANDLED = 0; // main: ops records handled so far (the worker waits on it)
export const CTL_OPS_ALLOWED = 32; // worker: ops records main may have handled (main's opsOpen); own 128-byte line
export const CTL_BYTES = 256;

export interface InterleaveData {
  conv: SharedArrayBuffer;
  ops: SharedArrayBuffer;
  doorbell: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** Int32 per conv record: CTL_OPS_HANDLED as the worker read it just after publishing that record. */
  stamps: SharedArrayBuffer;
  seed: number;
  /** Ops records written before the first conv record. */
  initialOps: number;
  /** Bursts of 1..3 conv and 0..2 ops records. */
  bursts: number;
  /** How many ops records main may run ahead of the burst count. */
  lag: number;
  /** Give up on any single wait after this long. */
  waitTimeoutMs: number;
}
