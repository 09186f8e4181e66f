// Every `details.code` lanegate puts on the wire, in one table. Clients
// branch on these strings (OpenClaw's reconnect logic reads the connect
// ones), so each is written once, here; test/unit/wire-codes.test.ts checks
// that OpenClaw's own codes match its protocol package, that lanegate's
// additions are documented, and that no literal is left elsewhere in src/.

/** Where a code is defined: OpenClaw's connect-error or gateway-error table, or lanegate's own. */
export type WireCodeOrigin = 'openclaw-connect' | 'openclaw-gateway' | 'lanegate';

export const WIRE_DETAIL_ORIGIN = {
  /** connect: no common protocol version (close 1002). */
  PROTOCOL_MISMATCH: 'openclaw-connect',
  /** connect: the gateway needs a credential and none was sent. */
  AUTH_REQUIRED: 'openclaw-connect',
  /** connect: wrong shared token, or a refused JWT. */
  AUTH_TOKEN_MISMATCH: 'openclaw-connect',
  /** connect: wrong password. */
  AUTH_PASSWORD_MISMATCH: 'openclaw-connect',
  /** FORBIDDEN: the connection lacks the method's scope. */
  MISSING_SCOPE: 'openclaw-gateway',
  /** INVALID_REQUEST: the request is larger than its lane's ring can carry. */
  PAYLOAD_TOO_LARGE: 'lanegate',
  /** UNAVAILABLE (retryable): over the connection's message rate. */
  RATE_LIMITED: 'lanegate',
} as const satisfies Record<string, WireCodeOrigin>;

export type WireDetailCode = keyof typeof WIRE_DETAIL_ORIGIN;

/** The codes by name: `WireDetail.MISSING_SCOPE === 'MISSING_SCOPE'`. */
export const WireDetail = Object.freeze(
  Object.fromEntries(Object.keys(WIRE_DETAIL_ORIGIN).map((k) => [k, k])) as { readonly [K in WireDetailCode]: K },
);
