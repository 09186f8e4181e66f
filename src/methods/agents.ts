import { MAIN_AGENT_ID, MAIN_KEY } from '../protocol/sessions.js';
import { modelDefaults, type ConvDeps } from './deps.js';
import type { Handler } from './request.js';

/** CommandsListResult bounds (protocol.schema.json): entries, name and description lengths. */
const COMMANDS_MAX = 500;
const COMMAND_NAME_MAX = 200;
const COMMAND_DESCRIPTION_MAX = 2000;

/** OpenClaw's `agents.*`, `models.*` and `commands.*` groups. */
export function agentMethods(d: ConvDeps): Record<string, Handler> {
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
  const provider = modelDefaults(d.agent).modelProvider;

  return {
    'agents.list': (req) =>
      req.ok({ defaultId: MAIN_AGENT_ID, mainKey: MAIN_KEY, scope: 'per-sender', agents: [{ id: MAIN_AGENT_ID, name: d.agent.name || d.agent.id, kind: 'agent' }] }),

    // Every command is a text command: a client asking only for native ones gets none.
    'commands.list': (req) => req.ok({ commands: req.params.scope === 'native' ? [] : commands }),

    'models.list': (req) => req.ok({ models: [{ id: d.agent.id, name: d.agent.name || d.agent.id, provider }] }),
  };
}
