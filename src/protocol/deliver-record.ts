// The ring body of an admitted `ops.deliver`: the socket worker has already
// parsed and checked the frame, so it hands the runtime the five routing
// strings as length-prefixed text ("2:d7" ...) followed by the payload's
// own JSON, which the runtime stores and forwards without parsing.
//
// Why not a JSON header: V8's JSON.parse internalizes short string values
// and allocates them straight in the old generation. Request ids and
// idempotency keys are unique per delivery, so under a flood every
// delivery left old-space garbage on the main thread, and its full
// collections (every ~1 s at 35k deliveries/s, 3-13 ms each) were where
// chats waited. Slicing a string allocates young, short-lived strings.

/** The routing fields of one delivery, in their order in the record. */
export interface DeliverFields {
  id: string;
  lane: string;
  sessionKey: string;
  kind: string;
  idempotencyKey: string;
}

/**
 * Encodes a delivery, or returns null when a field is not well-formed
 * UTF-16 (a lone surrogate from a JSON escape): the ring carries UTF-8,
 * which cannot hold one, so such a delivery keeps the JSON header that
 * escapes it (see `splitDeliver`).
 */
export function encodeDeliver(f: DeliverFields, payloadJson: string): string | null {
  const { id, lane, sessionKey, kind, idempotencyKey } = f;
  if (!(id.isWellFormed() && sessionKey.isWellFormed() && kind.isWellFormed() && idempotencyKey.isWellFormed())) return null;
  return `${id.length}:${id}${lane.length}:${lane}${sessionKey.length}:${sessionKey}${kind.length}:${kind}${idempotencyKey.length}:${idempotencyKey}${payloadJson}`;
}

/** The JSON-header form: routing JSON, a newline, the payload JSON. */
export function encodeDeliverJson(f: DeliverFields, payloadJson: string): string {
  const { id, ...params } = f;
  return `${JSON.stringify({ id, params })}\n${payloadJson}`;
}

/** Decodes either form written by the socket worker; throws on a body it did not write. */
export function decodeDeliver(body: string): { fields: DeliverFields; payloadJson: string } {
  if (body.charCodeAt(0) === 0x7b /* { */) {
    const nl = body.indexOf('\n');
    const head = JSON.parse(body.slice(0, nl)) as { id: string; params: Omit<DeliverFields, 'id'> };
    const p = head.params;
    return {
      fields: { id: head.id, lane: p.lane, sessionKey: p.sessionKey, kind: p.kind, idempotencyKey: p.idempotencyKey },
      payloadJson: body.slice(nl + 1),
    };
  }
  let at = 0;
  const next = (): string => {
    let len = 0;
    for (let digits = 0; ; digits++) {
      const c = body.charCodeAt(at++);
      if (c === 0x3a /* : */ && digits > 0) break;
      if (!(c >= 0x30 && c <= 0x39) || digits > 9) throw new Error('malformed ops.deliver record');
      len = len * 10 + (c - 0x30);
    }
    const value = body.slice(at, at + len);
    at += len;
    if (value.length !== len) throw new Error('malformed ops.deliver record');
    return value;
  };
  const fields: DeliverFields = { id: next(), lane: next(), sessionKey: next(), kind: next(), idempotencyKey: next() };
  return { fields, payloadJson: body.slice(at) };
}
