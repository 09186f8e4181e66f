import type { ConvDeps } from './deps.js';
import type { Handler } from './request.js';

/** health, status, and the approval and question queues (lanegate has none, so the lists are empty). */
export function systemMethods(d: ConvDeps): Record<string, Handler> {
  return {
    health: (req) => req.ok(d.health()),
    status: (req) => req.ok(d.status()),
    'question.list': (req) => req.ok({ questions: [] }),
    'plugin.approval.list': (req) => req.ok([]),
    'exec.approval.list': (req) => req.ok([]),
  };
}
