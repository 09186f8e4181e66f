import { pathToFileURL } from 'node:url';
import { ErrorCodes, LanegateError } from '../errors.js';
import { createEchoAgent } from './echo.js';
import { createOpenAIAgent } from './openai.js';
import type { Agent, AgentOptions } from './types.js';

/**
 * Resolves LANEGATE_AGENT: `echo`, `openai`, or a module whose default
 * export is `createAgent(options)` returning an Agent (or a promise of one).
 */
export async function loadAgent(spec: string, options: AgentOptions): Promise<Agent> {
  if (spec === 'echo') return createEchoAgent();
  if (spec === 'openai') return createOpenAIAgent(options.openai);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(spec).href)) as { default?: unknown };
  } catch (e) {
    throw new LanegateError(ErrorCodes.AGENT_LOAD, `agent module ${spec} failed to load: ${(e as Error).message}`, { cause: e });
  }
  if (typeof mod.default !== 'function') {
    throw new LanegateError(ErrorCodes.AGENT_LOAD, `agent module ${spec} must default-export createAgent(options)`);
  }
  const agent = (await (mod.default as (o: AgentOptions) => unknown)(options)) as Partial<Agent> | null;
  if (!agent || typeof agent.reply !== 'function' || typeof agent.id !== 'string') {
    throw new LanegateError(ErrorCodes.AGENT_LOAD, `agent module ${spec}: createAgent() must return { id, name, commands, reply(ctx) }`);
  }
  return { name: agent.id, commands: [], ...agent } as Agent;
}
