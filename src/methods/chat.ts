import { randomUUID } from 'node:crypto';
import { err, ErrorCode } from '../protocol/frames.js';
import { modelDefaults, str, type ConvDeps } from './deps.js';
import type { Handler, Request } from './request.js';
import { MAIN_KEY } from '../protocol/sessions.js';

/** Default and largest number of messages chat.history returns. */
const HISTORY_DEFAULT = 200;
const AGENT_WAIT_MAX_MS = 600_000;

/** OpenClaw's `chat.*` group and the `agent` run methods. */
export function chatMethods(d: ConvDeps): Record<string, Handler> {
  /** The session key a bare `agent` call runs on: the default agent's main session, as OpenClaw's. */
  const mainSessionKey = `agent:${d.agents.default.id}:${MAIN_KEY}`;

  /** Answers a repeated idempotencyKey from the earlier run; false when the key is new. */
  const repeated = (req: Request, runId: string, method: 'chat.send' | 'agent'): boolean => {
    const prior = d.runs.find(runId);
    if (!prior) return false;
    if (prior.outcome === null) req.ok({ runId, status: 'in_flight' });
    else if (method === 'agent') req.ok(d.runs.agentFinal(runId));
    else req.ok({ runId, status: prior.outcome === 'ok' ? 'ok' : prior.outcome === 'aborted' ? 'timeout' : 'error' });
    return true;
  };

  /** Starts the turn, here and now on a single instance; with scale-out once this instance holds the session. */
  const turn = (sessionKey: string, start: () => void): void => (d.share ? d.share.whenHeld(sessionKey, start) : start());

  return {
    'chat.send': (req) => {
      const p = req.params;
      const runId = str(p.idempotencyKey) ?? randomUUID();
      if (repeated(req, runId, 'chat.send')) return;
      const route = d.agents.route(p.sessionKey as string, str(p.agentId));
      if (!route.ok) return req.fail(route.error);
      // Ack first, so the client has its runId before the first delta.
      req.ok({ runId, status: 'started' });
      turn(p.sessionKey as string, () => d.runs.start(runId, p.sessionKey as string, p.message as string, { conn: req.conn, reqId: req.id, method: 'chat.send' }, route.agent));
    },

    agent: (req) => {
      const p = req.params;
      const runId = p.idempotencyKey as string;
      if (repeated(req, runId, 'agent')) return;
      const agentId = str(p.agentId);
      const sessionKey = str(p.sessionKey) ?? (agentId ? `agent:${agentId.toLowerCase()}:${MAIN_KEY}` : mainSessionKey);
      const route = d.agents.route(sessionKey, agentId);
      if (!route.ok) return req.fail(route.error);
      req.ok({ runId, sessionKey, agentId: route.agent.id, status: 'accepted', acceptedAt: Date.now() });
      turn(sessionKey, () => d.runs.start(runId, sessionKey, p.message as string, { conn: req.conn, reqId: req.id, method: 'agent' }, route.agent));
    },

    'agent.wait': (req) => {
      const timeout = Math.min(AGENT_WAIT_MAX_MS, typeof req.params.timeoutMs === 'number' ? req.params.timeoutMs : 30_000);
      void d.runs.wait(req.params.runId as string, timeout).then((r) => req.ok(r));
    },

    'chat.history': (req) => {
      const p = req.params;
      const key = p.sessionKey as string;
      // Scale-out: a session this instance has not seen may live on another one; read it from the store once.
      if (d.share && !d.sessions.find(key)) {
        d.share.load(key, d.sessions.limit).then(
          (entries) => {
            if (entries.length > 0 && !d.sessions.find(key)) d.sessions.get(key).replace(entries);
            history(req);
          },
          () => history(req),
        );
        return;
      }
      history(req);
    },

    'chat.abort': (req) => {
      const runIds = d.runs.abort(req.params.sessionKey as string, str(req.params.runId));
      req.ok({ ok: true, aborted: runIds.length > 0, runIds });
    },
  };

  /** The chat.history answer from this instance's copy of the session. */
  function history(req: Request): void {
    const p = req.params;
    const key = p.sessionKey as string;
    const session = d.sessions.find(key);
    const limit = typeof p.limit === 'number' ? p.limit : HISTORY_DEFAULT;
    const afterSeq = typeof p.afterSeq === 'number' ? p.afterSeq : 0;
    const messages = session ? session.read(afterSeq, limit) : [];
    const owner = d.agents.owner(key);
    req.ok({
      sessionKey: key,
      sessionId: session?.sessionId ?? null,
      messages,
      headSeq: session?.headSeq ?? 0,
      defaults: modelDefaults(owner),
      sessionInfo: session ? session.row(owner.id) : { key, kind: 'direct' },
      thinkingLevel: 'off',
      verboseLevel: 'off',
    });
  }
}

/** Reply for a method the runtime does not implement (the worker normally refuses these first). */
export function unknownMethod(req: Request): void {
  req.fail(err(ErrorCode.INVALID_REQUEST, `unknown method: ${req.method}`));
}
