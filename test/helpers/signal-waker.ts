// Shared between signal.test.ts and its worker fixture (fixtures/signal-waker.ts).

/** Int32 indices in SignalWakerData.control, on separate 128-byte lines. */
export const EVENTS = 0; // events the worker has posted
export const SEEN = 32; // events main has seen

export interface SignalWakerData {
  doorbell: SharedArrayBuffer;
  /** 256 bytes: EVENTS and SEEN. */
  control: SharedArrayBuffer;
  events: number;
  seed: number;
  /** Fail if main sees no new event for this long. */
  stuckMs: number;
}
