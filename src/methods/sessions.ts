import { count, modelDefaults, str, type ConvDeps } from './deps.js';
import type { Handler } from './request.js';

/** sessions.list (also sessions.subscribe with params): newest first, with OpenClaw's paging fields. */
export function sessionsList(d: ConvDeps, p: Record<string, unknown>): Record<string, unknown> {
  const all = d.sessions.list();
  const offset = Math.min(count(p.offset, 0) ?? 0, all.length);
  const limit = count(p.limit, 1) ?? all.length;
  const rows = all.slice(offset, offset + limit).map((s) => s.row(d.agents.owner(s.key).id));
  const next = offset + rows.length;
  return {
    ts: Date.now(),
    path: '(memory)',
    count: rows.length,
    totalCount: all.length,
    limitApplied: limit,
    nextOffset: next < all.length ? next : null,
    hasMore: next < all.length,
    defaults: modelDefaults(d.agents.default),
    sessions: rows,
  };
}

/** OpenClaw's `sessions.*` group. */
export function sessionMethods(d: ConvDeps): Record<string, Handler> {
  return {
    'sessions.list': (req) => req.ok(sessionsList(d, req.params)),

    'sessions.describe': (req) => {
      const key = str(req.params.key) ?? str(req.params.sessionKey);
      const s = key ? d.sessions.find(key) : undefined;
      req.ok({ session: s ? s.row(d.agents.owner(s.key).id) : null });
    },

    'sessions.subscribe': (req) => {
      d.watchers.add(req.conn);
      req.ok(Object.keys(req.params).length > 0 ? { subscribed: true, list: sessionsList(d, req.params) } : { subscribed: true });
    },

    'sessions.unsubscribe': (req) => {
      d.watchers.delete(req.conn);
      req.ok({ subscribed: false });
    },
  };
}
