import { err, ErrorCode, type ErrorShape } from '../protocol/frames.js';
import type { Agent } from './types.js';

/** Context window reported when an agent does not say (OpenClaw's session rows carry one). */
const DEFAULT_CONTEXT_TOKENS = 200_000;

/** One agent as the gateway publishes it. */
export interface RoutedAgent {
  /** Lower-case id: session keys `agent:<id>:<rest>` route here. */
  id: string;
  name: string;
  agent: Agent;
  model: { provider: string; id: string; name: string; contextWindow: number };
}

export type Route = { ok: true; agent: RoutedAgent } | { ok: false; error: ErrorShape };

/** `agent:<id>:<rest>` split as OpenClaw splits it; null when the key has no agent prefix. */
export function parseAgentKey(key: string): { agentId: string; rest: string } | 'malformed' | null {
  if (key.slice(0, 6).toLowerCase() !== 'agent:') return null;
  const colon = key.indexOf(':', 6);
  if (colon < 0) return 'malformed';
  const agentId = key.slice(6, colon).trim();
  const rest = key.slice(colon + 1);
  return agentId && rest && !rest.startsWith(':') ? { agentId, rest } : 'malformed';
}

export function routed(id: string, name: string | null, agent: Agent): RoutedAgent {
  const m = agent.model;
  const modelId = m?.id || agent.id || id;
  return {
    id,
    name: name || agent.name || agent.id || id,
    agent,
    model: { provider: m?.provider || 'lanegate', id: modelId, name: m?.name || modelId, contextWindow: m?.contextWindow ?? DEFAULT_CONTEXT_TOKENS },
  };
}

/**
 * The agents behind one gateway, routed by session key as OpenClaw routes
 * them: `agent:<id>:<rest>` goes to agent `<id>` (ids compare lower-case),
 * any other key to the default agent. An id nobody declared gets OpenClaw's
 * own error (INVALID_REQUEST `Unknown agent id "<id>"`).
 */
export class AgentRouter {
  readonly #byId = new Map<string, RoutedAgent>();
  readonly default: RoutedAgent;

  /** `agents`: the default first. */
  constructor(agents: readonly RoutedAgent[]) {
    if (agents.length === 0) throw new RangeError('AgentRouter needs at least one agent');
    for (const a of agents) this.#byId.set(a.id, a);
    this.default = agents[0]!;
  }

  list(): RoutedAgent[] {
    return [...this.#byId.values()];
  }

  get(id: string): RoutedAgent | undefined {
    return this.#byId.get(id.trim().toLowerCase());
  }

  /** The agent for a session key; `agentId` (the `agent` method's param) must agree with the key's prefix. */
  route(sessionKey: string, agentId?: string): Route {
    const parsed = parseAgentKey(sessionKey.trim());
    if (parsed === 'malformed') return { ok: false, error: err(ErrorCode.INVALID_REQUEST, `malformed session key "${sessionKey}"`) };
    let byParam: RoutedAgent | undefined;
    if (agentId !== undefined) {
      byParam = this.get(agentId);
      if (!byParam) return { ok: false, error: err(ErrorCode.INVALID_REQUEST, `Unknown agent id "${agentId}"`) };
    }
    if (parsed === null) return { ok: true, agent: byParam ?? this.default };
    const byKey = this.get(parsed.agentId);
    if (!byKey) return { ok: false, error: err(ErrorCode.INVALID_REQUEST, `Unknown agent id "${parsed.agentId}"`) };
    if (byParam && byParam !== byKey) {
      return { ok: false, error: err(ErrorCode.INVALID_REQUEST, `agent "${agentId}" does not match session key agent "${byKey.id}"`) };
    }
    return { ok: true, agent: byKey };
  }

  /** The agent a session key belongs to, or the default one (for rows of keys no route admits). */
  owner(sessionKey: string): RoutedAgent {
    const r = this.route(sessionKey);
    return r.ok ? r.agent : this.default;
  }
}
