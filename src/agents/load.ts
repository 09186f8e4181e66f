import { pathToFileURL } from 'node:url';
import type { AgentConfig } from '../config/agents.js';
import { ErrorCodes, LanegateError } from '../errors.js';
import { createEchoAgent } from './echo.js';
import { createOpenAIAgent } from './openai/agent.js';
import { AgentRouter, routed } from './router.js';
import type { Agent, AgentOptions } from './types.js';

/** Imports an agent module: its default export is `createAgent(options)` returning an Agent (or a promise of one). */
export async function loadAgentModule(path: string, options: AgentOptions): Promise<Agent> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new LanegateError(ErrorCodes.AGENT_LOAD, `agent module ${path} failed to load: ${(e as Error).message}`, { cause: e });
  }
  if (typeof mod.default !== 'function') {
    throw new LanegateError(ErrorCodes.AGENT_LOAD, `agent module ${path} must default-export createAgent(options)`);
  }
  const agent = (await (mod.default as (o: AgentOptions) => unknown)(options)) as Partial<Agent> | null;
  if (!agent || typeof agent.reply !== 'function') {
    throw new LanegateError(ErrorCodes.AGENT_LOAD, `agent module ${path}: createAgent() must return { id, name, reply(ctx) }`);
  }
  return { ...agent, id: agent.id ?? options.id, name: agent.name ?? agent.id ?? options.id } as Agent;
}

async function make(c: AgentConfig, defaults: AgentOptions['openai']): Promise<Agent> {
  switch (c.kind) {
    case 'echo':
      return createEchoAgent();
    case 'openai':
      return createOpenAIAgent(c.openai);
    case 'object':
      return c.agent;
    case 'module':
      return loadAgentModule(c.module, { id: c.id, openai: defaults, options: c.options });
  }
}

/** Builds every configured agent (the default first) behind one router. */
export async function loadAgents(agents: readonly AgentConfig[], openai: AgentOptions['openai']): Promise<AgentRouter> {
  const built = await Promise.all(agents.map(async (c) => routed(c.id, c.name, await make(c, openai))));
  return new AgentRouter(built);
}
