import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Agent } from '../agents/types.js';
import { bad, integer, isSet, object, text, url, type Origin, type Origins } from './check.js';

// Checks of the agent settings: the one-agent shorthand (`agent`,
// LANEGATE_AGENT), the list of several (`agents`, LANEGATE_AGENTS) and the
// OpenAI-compatible client settings each openai agent inherits.

export const OPENAI_DEFAULTS = {
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxRetries: 3,
  retryBaseMs: 500,
  retryMaxMs: 20_000,
  // About 12k tokens at ~4 characters a token: room for a reply in the smallest common context windows.
  historyChars: 48_000,
  maxToolRounds: 8,
};

export interface OpenAIConfig {
  apiKey: string | null;
  /** Chat Completions endpoint base, without the trailing `/chat/completions`. */
  baseUrl: string;
  model: string;
  systemPrompt: string | null;
  /** Longest wait for the response headers of one attempt. */
  connectTimeoutMs: number;
  /** Longest silence between two chunks of a streamed response. */
  idleTimeoutMs: number;
  /** Retries of a 429, a 5xx or a failed connection, before any of the reply streamed. */
  maxRetries: number;
  retryBaseMs: number;
  /** Cap of one backoff delay; a `retry-after` longer than this ends the run instead. */
  retryMaxMs: number;
  /** Characters of earlier session messages sent as context (newest kept). */
  historyChars: number;
  /** Model -> tool -> model round trips in one run. */
  maxToolRounds: number;
}

interface AgentBase {
  /** Session keys `agent:<id>:<rest>` route here. */
  id: string;
  /** Shown by agents.list; null: the agent's own name. */
  name: string | null;
}

export type AgentConfig = AgentBase &
  (
    | { kind: 'echo' }
    | { kind: 'openai'; openai: OpenAIConfig }
    | { kind: 'module'; module: string; options: Record<string, unknown> }
    | { kind: 'object'; agent: Agent }
  );

/** The agent id the one-agent shorthand publishes (OpenClaw clients build `agent:main:main`). */
export const MAIN_AGENT_ID = 'main';

/** OpenClaw's agent id rule (it lower-cases ids). */
const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

export function openaiConfig(v: unknown, at: Origins, prefix: string, base: OpenAIConfig | null): OpenAIConfig {
  const o = object(v, at(prefix));
  const p = (k: string): Origin => at(`${prefix}.${k}`);
  const d = base ?? { ...OPENAI_DEFAULTS, apiKey: null, systemPrompt: null };
  return {
    apiKey: text(o.apiKey, { ...p('apiKey'), shown: '[redacted]' }) ?? d.apiKey,
    baseUrl: url(o.baseUrl, p('baseUrl'), d.baseUrl),
    model: text(o.model, p('model')) ?? d.model,
    systemPrompt: text(o.systemPrompt, { ...p('systemPrompt'), shown: p('systemPrompt').shown ?? '[text]' }) ?? d.systemPrompt,
    connectTimeoutMs: integer(o.connectTimeoutMs, p('connectTimeoutMs'), d.connectTimeoutMs, 10, 600_000),
    idleTimeoutMs: integer(o.idleTimeoutMs, p('idleTimeoutMs'), d.idleTimeoutMs, 10, 600_000),
    maxRetries: integer(o.maxRetries, p('maxRetries'), d.maxRetries, 0, 10),
    retryBaseMs: integer(o.retryBaseMs, p('retryBaseMs'), d.retryBaseMs, 0, 60_000),
    retryMaxMs: integer(o.retryMaxMs, p('retryMaxMs'), d.retryMaxMs, 0, 600_000),
    historyChars: integer(o.historyChars, p('historyChars'), d.historyChars, 0, 100_000_000),
    maxToolRounds: integer(o.maxToolRounds, p('maxToolRounds'), d.maxToolRounds, 0, 100),
  };
}

/** A key is needed by OpenAI itself; a local server (vLLM, llama.cpp, Ollama) usually wants none. */
function requireKey(c: OpenAIConfig, at: Origin, keyName: string): void {
  if (c.apiKey === null && c.baseUrl === OPENAI_DEFAULTS.baseUrl) {
    bad({ name: keyName }, '', `required for the openai agent at ${OPENAI_DEFAULTS.baseUrl} (${at.name} selects it; a local OpenAI-compatible server set by the base URL may need none)`);
  }
}

function isAgentObject(v: unknown): v is Agent {
  return typeof v === 'object' && v !== null && typeof (v as Agent).reply === 'function';
}

function modulePath(v: unknown, at: Origin, allowed: string): string {
  if (typeof v !== 'string' || v === '') return bad(at, v, allowed);
  const path = isAbsolute(v) ? v : resolve(v);
  if (!/\.(m?js)$/.test(path) || !existsSync(path) || !statSync(path).isFile()) bad(at, v, allowed);
  return path;
}

/** The one-agent shorthand: `echo`, `openai`, a module path, or (library) an Agent object. */
export function singleAgent(v: unknown, at: Origins, openai: OpenAIConfig): AgentConfig {
  const o = at('agent');
  const base = { id: MAIN_AGENT_ID, name: null };
  if (!isSet(v) || v === 'echo') return { ...base, kind: 'echo' };
  if (v === 'openai') {
    requireKey(openai, o, at('openai.apiKey').name);
    return { ...base, kind: 'openai', openai };
  }
  if (isAgentObject(v)) return { ...base, kind: 'object', agent: v };
  const allowed = 'echo, openai, or the path of an existing agent module file (.js or .mjs)';
  if (typeof v === 'object' && v !== null) bad(o, '[object]', `${allowed}, or an object with a reply(ctx) method`);
  return { ...base, kind: 'module', module: modulePath(v, o, allowed), options: {} };
}

/**
 * Several agents: `[{id, name?, default?, echo | openai | module | agent}]`.
 * Returns them with the default first. From a file (LANEGATE_AGENTS) errors
 * name the variable and say which entry; from options they name the path.
 */
export function agentList(v: unknown, at: Origins, openai: OpenAIConfig): AgentConfig[] {
  const top = at('agents');
  const fromFile = top.shown !== undefined;
  const where = (path: string): Origin => (fromFile ? { ...top, prefix: `${path}: ` } : { name: path });
  const shape = 'a non-empty list of agents {id, name?, default?, and one of echo: true, openai: {...}, module: "path"}';
  if (!Array.isArray(v) || v.length === 0) return bad(top, v, shape);
  const seen = new Set<string>();
  let defaultAt = -1;
  const out = v.map((raw, i): AgentConfig => {
    const path = `agents[${i}]`;
    const w = (k: string): Origin => where(`${path}.${k}`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad(where(path), raw, shape);
    const e = raw as Record<string, unknown>;
    if (typeof e.id !== 'string' || !AGENT_ID.test(e.id)) bad(w('id'), e.id, 'an agent id: letters, digits, _ and -, starting with a letter or digit, at most 64');
    const id = e.id.toLowerCase();
    if (seen.has(id)) bad(w('id'), e.id, 'an id no other agent has');
    seen.add(id);
    if (e.default === true) {
      if (defaultAt >= 0) bad(w('default'), true, `true on one agent only (agents[${defaultAt}] is the default)`);
      defaultAt = i;
    }
    if (e.name !== undefined && (typeof e.name !== 'string' || e.name === '')) bad(w('name'), e.name, 'a non-empty string');
    const base = { id, name: (e.name as string | undefined) ?? null };
    const kinds = ['echo', 'openai', 'module', 'agent'].filter((k) => e[k] !== undefined && e[k] !== false);
    if (kinds.length !== 1) bad(where(path), raw, 'exactly one of echo: true, openai: {...}, module: "path" (or, in options, agent: an Agent object)');
    const kind = kinds[0]!;
    if (kind === 'echo') return { ...base, kind: 'echo' };
    if (kind === 'openai') {
      const c = openaiConfig(e.openai, (p) => where(p), `${path}.openai`, openai);
      requireKey(c, where(`${path}.openai`), fromFile ? at('openai.apiKey').name : `${path}.openai.apiKey`);
      return { ...base, kind: 'openai', openai: c };
    }
    if (kind === 'agent') {
      if (!isAgentObject(e.agent)) bad(w('agent'), '[object]', 'an Agent: an object with a reply(ctx) method');
      return { ...base, kind: 'object', agent: e.agent };
    }
    const options = e.options === undefined ? {} : object(e.options, w('options'));
    return { ...base, kind: 'module', module: modulePath(e.module, w('module'), 'the path of an existing agent module file (.js or .mjs)'), options };
  });
  const first = defaultAt < 0 ? 0 : defaultAt;
  return [out[first]!, ...out.filter((_, i) => i !== first)];
}
