// OpenClaw gateway protocol v4 frames: constants and builders. Builders
// return JSON text, because every frame leaves as text and the runtime
// builds some frames by concatenation (ops events carry their payload as
// already-encoded JSON).

export const PROTOCOL_VERSION = 4;

/**
 * OpenClaw error codes (ErrorShape.code): the protocol's whole set in use.
 * Finer reasons travel in `details.code` (AUTH_TOKEN_MISMATCH, MISSING_SCOPE,
 * PAYLOAD_TOO_LARGE, ...), as OpenClaw does.
 */
export const ErrorCode = {
  INVALID_REQUEST: 'INVALID_REQUEST',
  FORBIDDEN: 'FORBIDDEN',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes used by the gateway. */
export const Close = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  INVALID_DATA: 1007,
  POLICY_VIOLATION: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  SERVICE_RESTART: 1012,
} as const;

export interface ErrorShape {
  code: ErrorCodeName;
  message: string;
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

export function resOk(id: string, payload: unknown): string {
  return `{"type":"res","id":${JSON.stringify(id)},"ok":true,"payload":${JSON.stringify(payload ?? null)}}`;
}

export function resErr(id: string, error: ErrorShape): string {
  return `{"type":"res","id":${JSON.stringify(id)},"ok":false,"error":${JSON.stringify(error)}}`;
}

/**
 * An event frame missing its closing brace. The socket worker that sends it
 * appends `,"seq":N}` with the connection's own event counter.
 */
export function eventOpen(event: string, payload: unknown): string {
  return eventOpenRaw(event, JSON.stringify(payload));
}

export function eventOpenRaw(event: string, payloadJson: string): string {
  return `{"type":"event","event":${JSON.stringify(event)},"payload":${payloadJson}`;
}

/** A whole event frame without `seq` (pre-connect frames such as connect.challenge). */
export function eventFrame(event: string, payload: unknown): string {
  return `${eventOpen(event, payload)}}`;
}

export function err(code: ErrorCodeName, message: string, extra?: Omit<ErrorShape, 'code' | 'message'>): ErrorShape {
  return { code, message, ...extra };
}
