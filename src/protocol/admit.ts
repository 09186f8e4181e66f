import { isObject } from './check.js';
import { encodeDeliver } from '../queue/deliver-record.js';
import { MAX_NESTING, paramsPayloadText } from './json-slice.js';
import { decodeMsgpackFrame } from './msgpack.js';
import { err, ErrorCode, resErr } from './frames.js';
import { hasScope, type MethodSpec, type ScopeName } from './methods.js';
import { WireDetail } from './wire-codes.js';

export type Admission =
  /** `split`: the body is an ops.deliver record (deliver-record.ts): routing strings, then the payload JSON. */
  | { ok: true; id: string; method: string; spec: MethodSpec; body: Uint8Array | string; split: boolean }
  /** `forbidden`: refused for a missing scope (counted apart from malformed frames). */
  | { ok: false; reply: string; forbidden?: boolean };

/** Request ids longer than this are refused (they are echoed in every reply). */
export const MAX_ID_LENGTH = 256;
const BAD_ID = 'invalid';

export interface GateContext {
  methods: Record<string, MethodSpec>;
  scopes: ReadonlySet<ScopeName>;
  /** Hint for ops methods sent to the conv port while the ops port is on. */
  opsUrl: string | null;
}

/**
 * Admits one post-handshake frame: parses it, checks the frame shape, the
 * method, the caller's scope and the params. Admitted frames become the ring
 * record body; refused ones get an OpenClaw error response and never reach
 * the runtime. `ops.deliver` is re-encoded as its routing strings and the
 * payload's own JSON (deliver-record.ts), so the runtime parses neither: it
 * only stores and forwards the payload.
 */
export function admit(raw: Buffer, ctx: GateContext): Admission {
  let frame: unknown;
  const text = raw.toString('utf8');
  try {
    frame = JSON.parse(text);
  } catch {
    return refuse(BAD_ID, 'invalid frame: not valid JSON');
  }
  return admitFrame(frame, ctx, raw, text);
}

/**
 * Admits one MessagePack binary frame (src/protocol/msgpack.ts): decoded
 * into the value its JSON twin parses to, then the same checks; the record
 * body is that JSON, so the runtime cannot tell the two apart.
 */
export function admitMsgpack(raw: Buffer, ctx: GateContext): Admission {
  const d = decodeMsgpackFrame(raw);
  if (!d.ok) return refuse(BAD_ID, d.message);
  return admitFrame(d.frame, ctx, null, null);
}

/** `raw`, `text`: the frame's JSON as received (bytes and text), or null to write it from `frame`. */
function admitFrame(frame: unknown, ctx: GateContext, raw: Buffer | null, text: string | null): Admission {
  if (!isObject(frame)) return refuse(BAD_ID, 'invalid frame: expected a JSON object');
  const id = typeof frame.id === 'string' && frame.id !== '' && frame.id.length <= MAX_ID_LENGTH ? frame.id : null;
  if (frame.type !== 'req') return refuse(id ?? BAD_ID, `invalid frame: unknown frame type ${JSON.stringify(String(frame.type)).slice(0, 40)}`);
  if (id === null) return refuse(BAD_ID, `invalid frame: id must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  const method = frame.method;
  if (typeof method !== 'string' || method === '') return refuse(id, 'invalid frame: method must be a non-empty string');
  if (method === 'connect') return refuse(id, 'invalid request: already connected');
  const spec = ctx.methods[method];
  if (!spec) {
    if (ctx.opsUrl && method.startsWith('ops.')) return refuse(id, `unknown method: ${method} (the ops port serves it: ${ctx.opsUrl})`);
    return refuse(id, `unknown method: ${method.slice(0, 100)}`);
  }
  if (spec.scope !== null && !hasScope(ctx.scopes, spec.scope)) {
    return { ok: false, forbidden: true, reply: resErr(id, err(ErrorCode.FORBIDDEN, `missing scope: ${spec.scope}`, { details: { code: WireDetail.MISSING_SCOPE, missingScope: spec.scope, requiredScopes: [spec.scope] } })) };
  }
  // Lenient like the clients need: the TUI sends `status` with no params at all.
  const params = frame.params === undefined || frame.params === null ? {} : frame.params;
  if (!isObject(params)) return refuse(id, `invalid ${method} params: params must be an object`);
  const problem = spec.check(params);
  if (problem) return refuse(id, `invalid ${method} params: ${problem}`);
  if (method === 'ops.deliver') {
    const payload = params.payload;
    // The payload's own text when the frame came as JSON (json-slice.ts), otherwise written from the value.
    const sliced = text !== null ? paramsPayloadText(text) : null;
    if (sliced === 'too deep') return refuse(id, `invalid ops.deliver params: nested deeper than ${MAX_NESTING} levels`);
    let payloadJson: string;
    try {
      payloadJson = sliced ?? JSON.stringify(payload);
    } catch {
      // JSON.parse takes any depth, JSON.stringify recurses: a deeply nested payload overflows the stack.
      return refuse(id, 'invalid ops.deliver params: payload is nested too deeply');
    }
    // The check above made these strings.
    const route = { lane: params.lane as string, sessionKey: params.sessionKey as string, kind: params.kind as string, idempotencyKey: params.idempotencyKey as string };
    const body = encodeDeliver({ id, route, payloadJson });
    return { ok: true, id, method, spec, body, split: true };
  }
  return { ok: true, id, method, spec, body: raw ?? JSON.stringify(frame), split: false };
}

function refuse(id: string, message: string): Admission {
  return { ok: false, reply: resErr(id, err(ErrorCode.INVALID_REQUEST, message)) };
}
