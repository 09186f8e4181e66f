// The ring body of an admitted `ops.deliver`: the socket worker has already
// parsed and checked the frame, so it hands the runtime the request id and
// the four routing strings as length-prefixed text ("2:d7" ...) followed by
// the payload's own JSON, which the runtime stores and forwards without
// parsing.
//
// Why not a JSON header: V8's JSON.parse internalizes short string values
// and allocates them straight in the old generation. Request ids and
// idempotency keys are unique per delivery, so under a flood every
// delivery left old-space garbage on the main thread, and its full
// collections (every ~1 s at 35k deliveries/s, 3-13 ms each) were where
// chats waited. Slicing a string allocates young, short-lived strings.

/** The routing fields of a delivery: the params the runtime's ops.deliver handler reads. */
export type DeliverRoute = { lane: string; sessionKey: string; kind: string; idempotencyKey: string };

export interface DeliverRecord {
  id: string;
  route: DeliverRoute;
  payloadJson: string;
}

/**
 * The record body. Length-prefixed, unless a field is not well-formed
 * UTF-16 (a lone surrogate from a JSON escape): the ring carries UTF-8,
 * which cannot hold one, so such a delivery goes as a JSON header (which
 * escapes it), a newline, and the payload.
 */
export function encodeDeliver({ id, route, payloadJson }: DeliverRecord): string {
  const { lane, sessionKey, kind, idempotencyKey } = route;
  if (!(id.isWellFormed() && sessionKey.isWellFormed() && kind.isWellFormed() && idempotencyKey.isWellFormed())) {
    return `${JSON.stringify({ id, route })}\n${payloadJson}`;
  }
  return `${id.length}:${id}${lane.length}:${lane}${sessionKey.length}:${sessionKey}${kind.length}:${kind}${idempotencyKey.length}:${idempotencyKey}${payloadJson}`;
}

/** Decodes either form written by encodeDeliver; throws on a body it did not write. */
export function decodeDeliver(body: string): DeliverRecord {
  if (body.charCodeAt(0) === 0x7b /* { */) {
    const nl = body.indexOf('\n');
    const head = JSON.parse(body.slice(0, nl)) as Omit<DeliverRecord, 'payloadJson'>;
    return { id: head.id, route: head.route, payloadJson: body.slice(nl + 1) };
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
  const id = next();
  const route: DeliverRoute = { lane: next(), sessionKey: next(), kind: next(), idempotencyKey: next() };
  return { id, route, payloadJson: body.slice(at) };
}
