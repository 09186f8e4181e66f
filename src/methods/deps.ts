import type { AgentRouter, RoutedAgent } from '../agents/router.js';
import type { SessionShare } from '../runtime/session-share.js';
import type { ConnKey } from '../runtime/outbox.js';
import type { RunManager } from '../runtime/runs.js';
import type { SessionStore } from '../runtime/sessions.js';

/** What the conversation method groups read and drive. */
export interface ConvDeps {
  agents: AgentRouter;
  runs: RunManager;
  sessions: SessionStore;
  /** Connections that called sessions.subscribe. */
  watchers: Set<ConnKey>;
  health: () => Record<string, unknown>;
  status: () => Record<string, unknown>;
  /** Scale-out: sessions shared with other instances (absent on a single instance). */
  share?: SessionShare;
}

/** A non-empty string param, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** An integer param of at least `min`, or undefined. */
export const count = (v: unknown, min: number): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= min ? v : undefined);

/** The model defaults OpenClaw's session rows and chat.history carry, for the agent that owns the session. */
export function modelDefaults(agent: RoutedAgent): { modelProvider: string; model: string; contextTokens: number } {
  return { modelProvider: agent.model.provider, model: agent.model.id, contextTokens: agent.model.contextWindow };
}
