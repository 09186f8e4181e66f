// The contract between the runtime and an agent. An agent module (see
// LANEGATE_AGENT) default-exports `createAgent(options)` returning an Agent.

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

export interface AgentContext {
  readonly runId: string;
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
}

export interface Agent {
  readonly id: string;
  readonly name: string;
  /** Slash commands it understands (commands.list); `acceptsArgs` defaults to false. */
  readonly commands: readonly { name: string; description: string; acceptsArgs?: boolean }[];
  /**
   * Produces one reply. Stream it with ctx.delta; the final message is the
   * concatenation of the deltas. Must return promptly once ctx.signal aborts.
   */
  reply(ctx: AgentContext): Promise<void>;
}

export interface AgentOptions {
  openai: { apiKey: string | null; baseUrl: string; model: string };
}
