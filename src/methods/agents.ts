import type { RoutedAgent } from '../agents/router.js';
import { MAIN_KEY } from '../protocol/sessions.js';
import { str, type ConvDeps } from './deps.js';
import type { Handler, Request } from './request.js';

/** CommandsListResult bounds (protocol.schema.json): entries, name and description lengths. */
const COMMANDS_MAX = 500;
const COMMAND_NAME_MAX = 200;
const COMMAND_DESCRIPTION_MAX = 2000;

/** An agent's commands as CommandsListResult allows them (agent modules are user code: clamp). */
function commandsOf(a: RoutedAgent): Record<string, unknown>[] {
  return (a.agent.commands ?? [])
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
}

/** OpenClaw's `agents.*`, `agent.identity.get`, `models.*` and `commands.*` groups, over every configured agent. */
export function agentMethods(d: ConvDeps): Record<string, Handler> {
  const commands = new Map(d.agents.list().map((a) => [a.id, commandsOf(a)]));

  /** The agent named by agentId and/or sessionKey (the default one when neither); answers the error itself. */
  const target = (req: Request): RoutedAgent | null => {
    const r = d.agents.route(str(req.params.sessionKey) ?? '', str(req.params.agentId));
    if (r.ok) return r.agent;
    req.fail(r.error);
    return null;
  };

  return {
    'agents.list': (req) =>
      req.ok({
        defaultId: d.agents.default.id,
        mainKey: MAIN_KEY,
        scope: 'per-sender',
        agents: d.agents.list().map((a) => ({ id: a.id, name: a.name, kind: 'agent', model: { primary: `${a.model.provider}/${a.model.id}` } })),
      }),

    'agent.identity.get': (req) => {
      const a = target(req);
      if (a) req.ok({ agentId: a.id, name: a.name, nameSource: 'config' });
    },

    // Every command is a text command: a client asking only for native ones gets none.
    'commands.list': (req) => {
      const a = target(req);
      if (a) req.ok({ commands: req.params.scope === 'native' ? [] : commands.get(a.id) });
    },

    // One entry per distinct model; with agentId, that agent's only.
    'models.list': (req) => {
      const agents = str(req.params.agentId) === undefined ? d.agents.list() : [target(req)];
      if (agents.includes(null)) return;
      const seen = new Map<string, Record<string, unknown>>();
      for (const a of agents as RoutedAgent[]) {
        const key = `${a.model.provider}/${a.model.id}`;
        if (!seen.has(key)) seen.set(key, { id: a.model.id, name: a.model.name, provider: a.model.provider, contextWindow: a.model.contextWindow });
      }
      req.ok({ models: [...seen.values()] });
    },
  };
}
