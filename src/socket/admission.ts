import { admit, admitMsgpack } from '../protocol/admit.js';
import { err, ErrorCode, resErr } from '../protocol/frames.js';
import type { MethodSpec, PortRole } from '../protocol/methods.js';
import { MSGPACK_SUBPROTOCOL } from '../protocol/msgpack.js';
import { WireDetail } from '../protocol/wire-codes.js';
import type { ConvGate } from '../queue/conv-gate.js';
import { Lane } from '../queue/records.js';
import type { Conn } from './conn.js';
import type { Edge } from './edge.js';
import type { Inbound } from './inbound.js';
import { portLane } from './limits.js';

export interface AdmissionOptions {
  role: PortRole;
  methods: Record<string, MethodSpec>;
  /** ws:// URL of the ops port (conv port, dual-port mode): named in the hint for an ops method sent here. */
  opsUrl: string | null;
  edge: Edge;
  inbound: Inbound;
  /** Conv worker, dual-port mode: counts the conversation requests in flight (the ops worker yields to them). */
  gate: ConvGate | null;
}

/**
 * Frame admission after `connect`: a frame becomes a ring record only once
 * it is a well-formed request for a method of this port, the caller holds
 * its scope, its lane's rate has room, and it fits the lane's ring.
 * Anything else is answered here, on the worker: the runtime never sees it.
 */
export class Admission {
  readonly #o: AdmissionOptions;

  constructor(o: AdmissionOptions) {
    this.#o = o;
  }

  handle(conn: Conn, data: Buffer, isBinary: boolean): void {
    const o = this.#o;
    const ctx = { methods: o.methods, scopes: conn.scopes, opsUrl: o.role === 'conv' ? o.opsUrl : null };
    // Each connection speaks one codec: a frame of the other kind is refused, not guessed at.
    const msgpack = conn.codec === 'msgpack';
    const a = isBinary !== msgpack ? null : msgpack ? admitMsgpack(data, ctx) : admit(data, ctx);
    // Every frame pays into the rate of its lane: refused frames too, or garbage would be free.
    const paidLane = a?.ok ? (a.spec.lane === 'conv' ? Lane.CONV : Lane.OPS) : portLane(o.role);
    if (!o.edge.meter(conn, paidLane, a?.ok ? a.id : 'invalid')) return;
    if (a === null && msgpack) {
      o.edge.count('text-frame');
      conn.send(resErr('invalid', err(ErrorCode.INVALID_REQUEST, `invalid frame: text frames are not read on a ${MSGPACK_SUBPROTOCOL} connection; send MessagePack binary frames`)));
      return;
    }
    if (a === null) {
      o.edge.count('binary-frame');
      conn.send(resErr('invalid', err(ErrorCode.INVALID_REQUEST, 'invalid frame: binary frames are not supported; send JSON text frames')));
      return;
    }
    if (!a.ok) {
      o.edge.count(a.forbidden ? 'forbidden' : 'invalid-request');
      conn.send(a.reply);
      return;
    }
    const lane = a.spec.lane === 'conv' ? Lane.CONV : Lane.OPS;
    const size = typeof a.body === 'string' ? Buffer.byteLength(a.body) : a.body.byteLength;
    const max = o.inbound.maxBody(lane);
    if (size > max) {
      o.edge.count('too-large-for-ring');
      const message = `payload too large: ${size} bytes exceeds the ${a.spec.lane} ring's largest record (${max} bytes)`;
      conn.send(resErr(a.id, err(ErrorCode.INVALID_REQUEST, message, { details: { code: WireDetail.PAYLOAD_TOO_LARGE, maxBytes: max } })));
      return;
    }
    // Long polls (agent.wait) are not "in flight" for the gate: they may wait minutes by design.
    if (lane === Lane.CONV && !a.spec.longPoll) o.gate?.started();
    o.inbound.request(conn, lane, a.body, a.split);
  }
}
