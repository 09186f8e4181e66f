import { err, ErrorCode } from '../protocol/frames.js';
import type { OpsLane } from '../protocol/methods.js';
import type { OpsHub } from '../runtime/ops-hub.js';
import type { Logger } from '../log.js';
import type { AppendResult } from '../state/ops-log.js';
import type { Handler, Request } from './request.js';

/** Handlers of the operations methods (ops port, or conv port in single-port mode). */
export function opsMethods(hub: OpsHub, log: Logger): Record<string, Handler> {
  return {
    'ops.deliver': (req) => {
      const p = req.params;
      hub
        .accept({
          lane: p.lane as OpsLane,
          sessionKey: p.sessionKey as string,
          kind: p.kind as string,
          idempotencyKey: p.idempotencyKey as string,
          ts: Date.now(),
          payloadJson: req.payloadJson ?? 'null',
        })
        // Answered only now: the delivery is numbered, durable under
        // LANEGATE_FSYNC, and its event went to caught-up subscribers.
        .then(
          (r) => answer(req, r),
          (e: unknown) => {
            log.error({ err: e }, 'ops.deliver: the log could not store the delivery');
            req.fail(err(ErrorCode.UNAVAILABLE, 'the ops log could not store the delivery; retry with the same idempotencyKey', { retryable: true }));
          },
        );
    },

    'ops.subscribe': (req) => {
      const p = req.params;
      const r = hub.subscribe(req.conn, {
        ...(typeof p.sessionKey === 'string' ? { sessionKey: p.sessionKey } : {}),
        ...(Array.isArray(p.lanes) ? { lanes: p.lanes as OpsLane[] } : {}),
        ...(typeof p.afterSeq === 'number' ? { afterSeq: p.afterSeq } : {}),
        ...(typeof p.epoch === 'string' ? { epoch: p.epoch } : {}),
      });
      req.ok({ subscribed: true, ...r });
    },

    'ops.unsubscribe': (req) => req.ok({ subscribed: false, removed: hub.unsubscribe(req.conn) }),
  };
}

function answer(req: Request, r: AppendResult): void {
  req.ok(r.duplicate ? { accepted: true, seq: r.seq, duplicate: true } : { accepted: true, seq: r.seq });
}
