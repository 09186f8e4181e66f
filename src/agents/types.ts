// The contract between the runtime and an agent. An agent is an object with
// `reply(ctx)`; a module (LANEGATE_AGENT=<path>, or `module` in
// LANEGATE_AGENTS) default-exports `createAgent(options)` returning one.
// docs/agents.md documents it with a worked example.

import type { OpenAIConfig } from '../config/agents.js';
import type { OpsLane } from '../protocol/methods.js';

export interface HistoryMessage {
  role: 'user' | 'assistant';
  text: string;
}

/** A unit of background work for the task pool (a sub-agent or cron job). */
export interface TaskSpec {
  /** Label shown to subscribers. */
  label: string;
  /** Milliseconds of CPU work the example task performs. */
  workMs: number;
}

/** An ops event an agent hands over itself (it goes through the ops log like an external ops.deliver). */
export interface AgentDelivery {
  kind: string;
  payload: unknown;
  /** Default `subagent`. */
  lane?: OpsLane;
  /** Default: derived from the run id and a counter, so a retried run does not deliver twice. */
  idempotencyKey?: string;
}

export interface AgentContext {
  readonly runId: string;
  /** The routed agent's id (`agent:<id>:...`). */
  readonly agentId: string;
  readonly sessionKey: string;
  readonly message: string;
  /** Earlier messages of this session as they were when this message arrived, oldest first (this one excluded); built when first read. */
  readonly history: readonly HistoryMessage[];
  /** Aborted by chat.abort or shutdown. */
  readonly signal: AbortSignal;
  /** Streams a piece of the reply to the client. */
  delta(text: string): void;
  /**
   * Starts background tasks on the task pool. Each result is delivered on
   * the ops lane (lane `subagent`), by the same path as an external
   * ops.deliver, and reaches ops subscribers of this session.
   */
  spawn(tasks: TaskSpec[]): void;
  /** Appends an event to the ops log for this session; resolves with its seq once accepted. */
  deliver(d: AgentDelivery): Promise<{ seq: number; duplicate: boolean }>;
}

/**
 * What a reply may be: a promise (stream with ctx.delta), or an async
 * iterable of text pieces (each one a delta), e.g. an async generator.
 */
export type Reply = Promise<void> | AsyncIterable<string>;

export interface Agent {
  readonly id: string;
  readonly name: string;
  /** Slash commands it understands (commands.list); `acceptsArgs` defaults to false. */
  readonly commands?: readonly { name: string; description: string; acceptsArgs?: boolean }[];
  /** The model behind it, as models.list and session rows show it (default: provider `lanegate`, id = the agent's id). */
  readonly model?: { provider: string; id: string; name?: string; contextWindow?: number };
  /**
   * Produces one reply. The final message is the concatenation of the
   * deltas. Must return (or end its iteration) promptly once ctx.signal
   * aborts; throwing ends the run with state "error" and the message.
   */
  reply(ctx: AgentContext): Reply;
}

/** What a module's createAgent(options) receives. */
export interface AgentOptions {
  /** The id the agent is routed by. */
  id: string;
  /** The top-level (or this agent's) OpenAI-compatible client settings. */
  openai: OpenAIConfig;
  /** `options` of its LANEGATE_AGENTS entry ({} otherwise). */
  options: Record<string, unknown>;
}
