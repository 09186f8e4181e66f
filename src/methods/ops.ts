import type { OpsLane } from '../protocol/methods.js';
import type { OpsHub } from '../runtime/ops-hub.js';
import type { Handler } from './request.js';

/** Handlers of the operations methods (ops port, or conv port in single-port mode). */
export function opsMethods(hub: OpsHub): Record<string, Handler> {
  return {
    'ops.deliver': (req) => {
      const p = req.params;
      const r = hub.accept({
        lane: p.lane as OpsLane,
        sessionKey: p.sessionKey as string,
        kind: p.kind as string,
        idempotencyKey: p.idempotencyKey as string,
        ts: Date.now(),
        payloadJson: req.payloadJson ?? 'null',
      });
      // Answered only now: the delivery is numbered and in the log.
      req.ok(r.duplicate ? { accepted: true, seq: r.seq, duplicate: true } : { accepted: true, seq: r.seq });
    },

    'ops.subscribe': (req) => {
      const p = req.params;
      const r = hub.subscribe(req.conn, {
        ...(typeof p.sessionKey === 'string' ? { sessionKey: p.sessionKey } : {}),
        ...(Array.isArray(p.lanes) ? { lanes: p.lanes as OpsLane[] } : {}),
        ...(typeof p.afterSeq === 'number' ? { afterSeq: p.afterSeq } : {}),
      });
      req.ok({ subscribed: true, ...r });
    },

    'ops.unsubscribe': (req) => req.ok({ subscribed: false, removed: hub.unsubscribe(req.conn) }),
  };
}
