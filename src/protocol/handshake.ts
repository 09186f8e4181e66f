import { authenticate, type AuthResult, type AuthSettings } from './auth.js';
import { isObject } from './check.js';
import { Close, err, ErrorCode, PROTOCOL_VERSION, resErr, resOk } from './frames.js';
import type { ScopeName } from './methods.js';
import { MAIN_KEY } from './sessions.js';
import { WireDetail } from './wire-codes.js';

/** Pre-connect frames are capped at 64 KiB (OpenClaw MAX_PREAUTH_PAYLOAD_BYTES): the default of LANEGATE_PREAUTH_MAX_PAYLOAD. */
export const MAX_PREAUTH_PAYLOAD_BYTES = 64 * 1024;

export interface ClientInfo {
  id: string;
  version: string;
  platform: string;
  mode: string;
  displayName?: string;
  instanceId?: string;
}

export interface HelloContext {
  serverVersion: string;
  connId: string;
  methods: string[];
  events: string[];
  maxPayload: number;
  maxBufferedBytes: number;
  tickIntervalMs: number;
  uptimeMs: number;
  defaultAgentId: string;
  /** The ops log's epoch (lanegate's one addition to OpenClaw's snapshot). */
  opsEpoch: string;
}

export type ConnectOutcome =
  | { ok: true; id: string; client: ClientInfo; role: string; scopes: ScopeName[]; /** JWT expiry, ms since the epoch. */ expiresAt?: number }
  | { ok: false; frame: string | null; close: number; reason: string };

function fail(id: string | null, code: number, reason: string, message: string, details?: unknown): ConnectOutcome {
  const frame = id === null ? null : resErr(id, err(ErrorCode.INVALID_REQUEST, message, details === undefined ? undefined : { details }));
  return { ok: false, frame, close: code, reason };
}

/**
 * Checks the first client frame. Anything but a valid `connect` request
 * closes the socket: 1008 for a wrong first frame or failed auth, 1002 for a
 * protocol version this gateway does not speak. A promise exactly when the
 * credential is a JWT (verification is asynchronous).
 */
export function checkConnect(frame: unknown, auth: AuthSettings): ConnectOutcome | Promise<ConnectOutcome> {
  if (!isObject(frame) || frame.type !== 'req' || typeof frame.id !== 'string' || frame.id === '') {
    return fail(null, Close.POLICY_VIOLATION, 'first frame must be a connect request', '');
  }
  const id = frame.id;
  if (frame.method !== 'connect') {
    return fail(id, Close.POLICY_VIOLATION, 'first frame must be a connect request', 'invalid handshake: first request must be connect');
  }
  const p = frame.params;
  if (!isObject(p)) return fail(id, Close.POLICY_VIOLATION, 'invalid connect params', 'invalid connect params: params must be an object');
  const min = p.minProtocol;
  const max = p.maxProtocol;
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isInteger(min) || !Number.isInteger(max)) {
    return fail(id, Close.POLICY_VIOLATION, 'invalid connect params', 'invalid connect params: minProtocol and maxProtocol must be integers');
  }
  if (min > PROTOCOL_VERSION || max < PROTOCOL_VERSION) {
    return fail(id, Close.PROTOCOL_ERROR, 'protocol mismatch', `protocol mismatch: server speaks ${PROTOCOL_VERSION}, client ${min}..${max}`, {
      code: WireDetail.PROTOCOL_MISMATCH,
      clientMinProtocol: min,
      clientMaxProtocol: max,
      expectedProtocol: PROTOCOL_VERSION,
    });
  }
  const c = p.client;
  if (!isObject(c)) return fail(id, Close.POLICY_VIOLATION, 'invalid connect params', 'invalid connect params: client is required');
  for (const k of ['id', 'version', 'platform', 'mode'] as const) {
    if (typeof c[k] !== 'string' || c[k] === '') {
      return fail(id, Close.POLICY_VIOLATION, 'invalid connect params', `invalid connect params: client.${k} must be a non-empty string`);
    }
  }
  const client: ClientInfo = {
    id: c.id as string,
    version: c.version as string,
    platform: c.platform as string,
    mode: c.mode as string,
  };
  if (typeof c.displayName === 'string') client.displayName = c.displayName;
  if (typeof c.instanceId === 'string') client.instanceId = c.instanceId;
  const role = typeof p.role === 'string' && p.role !== '' ? p.role : 'operator';
  const a = authenticate(auth, p.auth, p.scopes);
  return a instanceof Promise ? a.then((r) => outcome(id, client, role, r)) : outcome(id, client, role, a);
}

function outcome(id: string, client: ClientInfo, role: string, a: AuthResult): ConnectOutcome {
  if (!a.ok) {
    const frame = resErr(
      id,
      err(ErrorCode.INVALID_REQUEST, a.message, {
        details: {
          code: a.detailsCode,
          authReason: a.authReason,
          canRetryWithDeviceToken: false,
          recommendedNextStep: a.detailsCode === WireDetail.AUTH_REQUIRED ? 'update_auth_configuration' : 'update_auth_credentials',
        },
      }),
    );
    return { ok: false, frame, close: Close.POLICY_VIOLATION, reason: a.message.slice(0, 120) };
  }
  return a.expiresAt === undefined ? { ok: true, id, client, role, scopes: a.scopes } : { ok: true, id, client, role, scopes: a.scopes, expiresAt: a.expiresAt };
}

export function helloOk(reqId: string, ctx: HelloContext, role: string, scopes: ScopeName[]): string {
  return resOk(reqId, {
    type: 'hello-ok',
    protocol: PROTOCOL_VERSION,
    server: { version: ctx.serverVersion, connId: ctx.connId },
    features: { methods: ctx.methods, events: ctx.events },
    snapshot: {
      presence: [],
      health: {},
      stateVersion: { presence: 0, health: 0 },
      uptimeMs: Math.max(0, Math.round(ctx.uptimeMs)),
      sessionDefaults: { defaultAgentId: ctx.defaultAgentId, mainKey: MAIN_KEY, mainSessionKey: `agent:${ctx.defaultAgentId}:${MAIN_KEY}`, scope: 'per-sender' },
      // The epoch an ops.subscribe {afterSeq, epoch} cursor belongs to: a
      // client keeps it with its last seq (docs/protocol.md, Operations protocol).
      opsEpoch: ctx.opsEpoch,
    },
    auth: { role, scopes },
    policy: { maxPayload: ctx.maxPayload, maxBufferedBytes: ctx.maxBufferedBytes, tickIntervalMs: ctx.tickIntervalMs },
  });
}
