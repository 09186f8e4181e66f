// The ops port's binary subprotocol, `lanegate.msgpack.v1`: the same frames
// as the JSON protocol (req, res, event; the same methods, events and
// fields), each one WebSocket binary message holding one MessagePack map.
// Values are JSON's data model (maps with string keys, arrays, strings,
// finite numbers, booleans, nil), because the runtime, the ops log and JSON
// subscribers see every delivery as JSON: a frame holding bin, an extension
// type (timestamps included) or a non-finite float is refused, not mangled.
//
// The runtime stays JSON-only: the ops worker decodes inbound frames into
// the JSON records the admission path already makes, and encodes outbound
// JSON frames per connection (an event fanned out to many MessagePack
// subscribers is encoded once).

import { C1, Packr, Unpackr } from 'msgpackr';
import { isObject } from './check.js';
import { MAX_NESTING } from './json-slice.js';

/** Sec-WebSocket-Protocol value a client offers to speak MessagePack on the ops port. */
export const MSGPACK_SUBPROTOCOL = 'lanegate.msgpack.v1';

/** Deepest nesting accepted in a MessagePack frame, as in a JSON one. */
export const MSGPACK_MAX_DEPTH = MAX_NESTING;

// Standard MessagePack only (no msgpackr records or structures), so any
// MessagePack library can talk to the port. int64 decodes as a number, as
// JSON would read it.
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export type Decoded = { ok: true; frame: unknown } | { ok: false; message: string };

/** Decodes one binary frame into the value its JSON twin would parse to, or says why not. */
export function decodeMsgpackFrame(data: Uint8Array): Decoded {
  let frame: unknown;
  try {
    frame = unpackr.unpack(data);
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, message: 'invalid frame: nested too deeply' };
    return { ok: false, message: 'invalid frame: not valid MessagePack' };
  }
  const problem = notJson(frame, 0, 'frame');
  if (problem === MALFORMED) return { ok: false, message: 'invalid frame: not valid MessagePack' };
  return problem === null ? { ok: true, frame } : { ok: false, message: `invalid frame: ${problem}` };
}

/** 0xc1, the byte MessagePack never uses, which msgpackr decodes to a marker (C1) instead of failing. */
const MALFORMED = 'malformed';

/** Null when `v` is a JSON value; otherwise what is wrong and where (the first problem met). */
function notJson(v: unknown, depth: number, at: string): string | null {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
  if (v === C1) return MALFORMED;
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${at} is a non-finite number (JSON has none)`;
  if (depth >= MSGPACK_MAX_DEPTH) return `nested deeper than ${MSGPACK_MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = notJson(v[i], depth + 1, at);
      if (p !== null) return p;
    }
    return null;
  }
  if (isObject(v) && isPlain(v)) {
    for (const k in v) {
      const p = notJson(v[k], depth + 1, depth < 3 ? `${at}.${k.slice(0, 40)}` : at);
      if (p !== null) return p;
    }
    return null;
  }
  const what = v instanceof Uint8Array ? 'bin' : v instanceof Date ? 'a timestamp' : v === undefined ? 'undefined' : `a ${typeof v === 'object' ? v.constructor?.name ?? 'object' : typeof v}`;
  return `${at} holds ${what}, which JSON cannot carry (send JSON's types: map, array, string, number, boolean, nil)`;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** One whole JSON text frame as MessagePack (replies and pre-connect frames). */
export function msgpackFromJson(frame: string | Buffer): Buffer {
  return packr.pack(JSON.parse(typeof frame === 'string' ? frame : frame.toString('utf8')));
}

const EVENT_OPEN = '{"type":"event","event":';
const PAYLOAD_KEY = ',"payload":';
/** fixmap of 4 entries: type, event, payload, then the connection's seq. */
const MAP4 = Buffer.from([0x84]);
const SEQ_KEY = packr.pack('seq');

/**
 * An event frame that lacks its seq (the runtime's `{"type":"event",
 * "event":E,"payload":P` without the closing brace) as the MessagePack map
 * without its last entry; msgpackEventWithSeq() completes it per
 * connection.
 */
export function msgpackEventOpen(open: Buffer): Buffer {
  const at = open.indexOf(PAYLOAD_KEY, EVENT_OPEN.length);
  if (at < 0 || open.toString('latin1', 0, EVENT_OPEN.length) !== EVENT_OPEN) throw new Error('not an event frame missing its seq');
  const event = JSON.parse(open.toString('utf8', EVENT_OPEN.length, at)) as string;
  const payload = JSON.parse(open.toString('utf8', at + PAYLOAD_KEY.length)) as unknown;
  return Buffer.concat([MAP4, packr.pack('type'), packr.pack('event'), packr.pack('event'), packr.pack(event), packr.pack('payload'), packr.pack(payload)]);
}

export function msgpackEventWithSeq(open: Buffer, seq: number): Buffer {
  return Buffer.concat([open, SEQ_KEY, packr.pack(seq)]);
}
