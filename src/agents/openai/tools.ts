import type { ChatMessage } from './messages.js';
import type { ToolCallDelta } from './stream.js';

// Sub-agent tasks offered to the model as OpenAI tools. A task the runtime
// can spawn (name, description, JSON-Schema input) becomes a `function`
// tool; the model's tool_calls run as tasks; each result goes back as a
// `tool` message.

/** A task as the runtime lists it (ctx.tasks). */
export interface ToolTask {
  readonly name: string;
  readonly description: string;
  readonly inputSchema?: Record<string, unknown>;
}

/** What the runtime's ctx.spawn returns (its `done` never rejects). */
export interface ToolRun {
  readonly done: Promise<{ status: string; resultJson: string | null; error: string | null }>;
}

export interface ToolHost {
  readonly tasks?: readonly ToolTask[];
  spawn?(req: { task: string; input?: unknown; label?: string }): ToolRun;
}

/** OpenAI function names: ^[a-zA-Z0-9_-]{1,64}$. Task names may hold `/` (sub-folders). */
const toolName = (task: string): string => task.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);

export interface ToolSet {
  /** The request's `tools`, or undefined when there are none. */
  tools: { type: 'function'; function: { name: string; description: string; parameters: Record<string, unknown> } }[] | undefined;
  /** Runs one call; resolves with the tool message for the model. */
  run(call: { id: string; name: string; arguments: string }): Promise<ChatMessage>;
}

export function toolSet(host: ToolHost): ToolSet {
  const tasks = Array.isArray(host.tasks) && typeof host.spawn === 'function' ? host.tasks : [];
  const byName = new Map<string, string>();
  for (const t of tasks) if (!byName.has(toolName(t.name))) byName.set(toolName(t.name), t.name);
  const tools = [...byName].map(([name, task]) => {
    const t = tasks.find((x) => x.name === task)!;
    return { type: 'function' as const, function: { name, description: t.description || `Runs the sub-agent task ${task}`, parameters: t.inputSchema ?? { type: 'object' } } };
  });
  return {
    tools: tools.length > 0 ? tools : undefined,
    async run(call) {
      const answer = (content: unknown): ChatMessage => ({ role: 'tool', tool_call_id: call.id, content: typeof content === 'string' ? content : JSON.stringify(content) });
      const task = byName.get(call.name);
      if (!task) return answer({ error: `no tool named ${call.name}` });
      let input: unknown;
      try {
        input = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
      } catch {
        return answer({ error: 'the arguments were not valid JSON' });
      }
      let spawned: ToolRun;
      try {
        spawned = host.spawn!({ task, input, label: `tool ${call.name}` });
      } catch (e) {
        // The runtime refused it (queue full, unknown task): the model is told and may answer without it.
        return answer({ error: (e as Error).message });
      }
      const o = await spawned.done;
      return o.status === 'completed' ? answer(o.resultJson ?? 'null') : answer({ error: o.error ?? o.status, status: o.status });
    },
  };
}

/** Collects the streamed pieces of tool calls (by index) into whole calls. */
export class ToolCallAccumulator {
  readonly #calls: { id: string; name: string; arguments: string }[] = [];

  add(deltas: readonly ToolCallDelta[]): void {
    for (const d of deltas) {
      const i = d.index ?? this.#calls.length;
      const c = (this.#calls[i] ??= { id: '', name: '', arguments: '' });
      if (d.id) c.id = d.id;
      if (d.function?.name) c.name += d.function.name;
      if (d.function?.arguments) c.arguments += d.function.arguments;
    }
  }

  /** The calls in index order; a call without an id gets one (some local servers omit it). */
  calls(): { id: string; name: string; arguments: string }[] {
    return this.#calls.filter(Boolean).map((c, i) => ({ ...c, id: c.id || `call_${i}` }));
  }
}
