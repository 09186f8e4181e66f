import { randomUUID } from 'node:crypto';
import type { Agent } from '../agents/types.js';
import { err, ErrorCode } from '../protocol/frames.js';
import { MAIN_AGENT_ID, MAIN_KEY, MAIN_SESSION_KEY } from '../protocol/sessions.js';
import type { ConnKey } from './outbox.js';
import type { Handler, Request } from './request.js';
import type { RunManager } from './runs.js';
import type { SessionStore } from './sessions.js';

/** Default and largest number of messages chat.history returns. */
const HISTORY_DEFAULT = 200;
const AGENT_WAIT_MAX_MS = 600_000;
/** CommandsListResult bounds (protocol.schema.json): entries, name and description lengths. */
const COMMANDS_MAX = 500;
const COMMAND_NAME_MAX = 200;
const COMMAND_DESCRIPTION_MAX = 2000;

export interface ConvDeps {
  agent: Agent;
  runs: RunManager;
  sessions: SessionStore;
  /** Connections that called sessions.subscribe. */
  watchers: Set<ConnKey>;
  health: () => Record<string, unknown>;
  status: () => Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const count = (v: unknown, min: number): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= min ? v : undefined);

/** Handlers of the OpenClaw conversation methods. */
export function convMethods(d: ConvDeps): Record<string, Handler> {
  const defaults = { modelProvider: 'lanegate', model: d.agent.id, contextTokens: 200_000 };

  /** sessions.list (also sessions.subscribe with params): newest first, with OpenClaw's paging fields. */
  const sessionsList = (p: Record<string, unknown>): Record<string, unknown> => {
    const all = d.sessions.list();
    const offset = Math.min(count(p.offset, 0) ?? 0, all.length);
    const limit = count(p.limit, 1) ?? all.length;
    const rows = all.slice(offset, offset + limit).map((s) => s.row(MAIN_AGENT_ID));
    const next = offset + rows.length;
    return {
      ts: Date.now(),
      path: '(memory)',
      count: rows.length,
      totalCount: all.length,
      limitApplied: limit,
      nextOffset: next < all.length ? next : null,
      hasMore: next < all.length,
      defaults,
      sessions: rows,
    };
  };

  // Agent modules are user code: clamp their commands to what CommandsListResult allows.
  const commands = d.agent.commands
    .filter((c) => typeof c.name === 'string' && c.name !== '')
    .slice(0, COMMANDS_MAX)
    .map((c) => ({
      name: c.name.slice(0, COMMAND_NAME_MAX),
      description: String(c.description ?? '').slice(0, COMMAND_DESCRIPTION_MAX),
      // Built into this gateway's agent (OpenClaw's `native`), not a skill or plugin; typed as text.
      source: 'native',
      scope: 'text',
      acceptsArgs: c.acceptsArgs === true,
    }));

  /** Answers a repeated idempotencyKey from the earlier run; false when the key is new. */
  const repeated = (req: Request, runId: string, method: 'chat.send' | 'agent'): boolean => {
    const prior = d.runs.find(runId);
    if (!prior) return false;
    if (prior.outcome === null) req.ok({ runId, status: 'in_flight' });
    else if (method === 'agent') req.ok(d.runs.agentFinal(runId));
    else req.ok({ runId, status: prior.outcome === 'ok' ? 'ok' : prior.outcome === 'aborted' ? 'timeout' : 'error' });
    return true;
  };

  return {
    health: (req) => req.ok(d.health()),
    status: (req) => req.ok(d.status()),

    'chat.send': (req) => {
      const p = req.params;
      const runId = str(p.idempotencyKey) ?? randomUUID();
      if (repeated(req, runId, 'chat.send')) return;
      // Ack first, so the client has its runId before the first delta.
      req.ok({ runId, status: 'started' });
      d.runs.start(runId, p.sessionKey as string, p.message as string, { conn: req.conn, reqId: req.id, method: 'chat.send' });
    },

    agent: (req) => {
      const p = req.params;
      const runId = p.idempotencyKey as string;
      const sessionKey = str(p.sessionKey) ?? MAIN_SESSION_KEY;
      if (repeated(req, runId, 'agent')) return;
      req.ok({ runId, sessionKey, agentId: MAIN_AGENT_ID, status: 'accepted', acceptedAt: Date.now() });
      d.runs.start(runId, sessionKey, p.message as string, { conn: req.conn, reqId: req.id, method: 'agent' });
    },

    'agent.wait': (req) => {
      const timeout = Math.min(AGENT_WAIT_MAX_MS, typeof req.params.timeoutMs === 'number' ? req.params.timeoutMs : 30_000);
      void d.runs.wait(req.params.runId as string, timeout).then((r) => req.ok(r));
    },

    'chat.history': (req) => {
      const p = req.params;
      const key = p.sessionKey as string;
      const session = d.sessions.find(key);
      const limit = typeof p.limit === 'number' ? p.limit : HISTORY_DEFAULT;
      const afterSeq = typeof p.afterSeq === 'number' ? p.afterSeq : 0;
      const messages = session ? session.read(afterSeq, limit) : [];
      req.ok({
        sessionKey: key,
        sessionId: session?.sessionId ?? null,
        messages,
        headSeq: session?.headSeq ?? 0,
        defaults,
        sessionInfo: session ? session.row(MAIN_AGENT_ID) : { key, kind: 'direct' },
        thinkingLevel: 'off',
        verboseLevel: 'off',
      });
    },

    'chat.abort': (req) => {
      const runIds = d.runs.abort(req.params.sessionKey as string, str(req.params.runId));
      req.ok({ ok: true, aborted: runIds.length > 0, runIds });
    },

    'sessions.list': (req) => req.ok(sessionsList(req.params)),

    'sessions.describe': (req) => {
      const key = str(req.params.key) ?? str(req.params.sessionKey);
      const s = key ? d.sessions.find(key) : undefined;
      req.ok({ session: s ? s.row(MAIN_AGENT_ID) : null });
    },

    'sessions.subscribe': (req) => {
      d.watchers.add(req.conn);
      req.ok(Object.keys(req.params).length > 0 ? { subscribed: true, list: sessionsList(req.params) } : { subscribed: true });
    },

    'sessions.unsubscribe': (req) => {
      d.watchers.delete(req.conn);
      req.ok({ subscribed: false });
    },

    'agents.list': (req) =>
      req.ok({ defaultId: MAIN_AGENT_ID, mainKey: MAIN_KEY, scope: 'per-sender', agents: [{ id: MAIN_AGENT_ID, name: d.agent.name || d.agent.id, kind: 'agent' }] }),

    // Every command is a text command: a client asking only for native ones gets none.
    'commands.list': (req) => req.ok({ commands: req.params.scope === 'native' ? [] : commands }),

    'models.list': (req) => req.ok({ models: [{ id: d.agent.id, name: d.agent.name || d.agent.id, provider: defaults.modelProvider }] }),

    'question.list': (req) => req.ok({ questions: [] }),
    'plugin.approval.list': (req) => req.ok([]),
    'exec.approval.list': (req) => req.ok([]),
  };
}

/** Reply for a method the runtime does not implement (the worker normally refuses these first). */
export function unknownMethod(req: Request): void {
  req.fail(err(ErrorCode.INVALID_REQUEST, `unknown method: ${req.method}`));
}
