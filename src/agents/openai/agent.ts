import { setTimeout as sleep } from 'node:timers/promises';
import type { OpenAIConfig } from '../../config/agents.js';
import type { Agent, AgentContext } from '../types.js';
import { buildMessages, type ChatMessage } from './messages.js';
import { backoffMs, ModelError } from './retry.js';
import { streamCompletion } from './stream.js';
import { ToolCallAccumulator, toolSet, type ToolHost } from './tools.js';

export interface OpenAIAgentDeps {
  /** Jitter source for the backoff (tests pass a seeded one). */
  random?: () => number;
}

/**
 * An agent backed by an OpenAI-compatible Chat Completions endpoint
 * (OpenAI, vLLM, llama.cpp server, Ollama's /v1): streams the model's
 * reply as deltas, with the session's history as context, the configured
 * sub-agent tasks as tools, bounded retries of 429/5xx/connection failures,
 * and connect and idle timeouts. Any other failure ends the run with state
 * "error" and the server's message.
 */
export function createOpenAIAgent(c: OpenAIConfig, deps: OpenAIAgentDeps = {}): Agent {
  const random = deps.random ?? Math.random;
  const url = `${c.baseUrl}/chat/completions`;

  /** One model turn, retried while nothing of it has streamed; returns the tool calls it asked for. */
  async function turn(ctx: AgentContext, messages: ChatMessage[], tools: ReturnType<typeof toolSet>['tools']): Promise<{ text: string; calls: ReturnType<ToolCallAccumulator['calls']> }> {
    for (let attempt = 0; ; attempt++) {
      let text = '';
      const acc = new ToolCallAccumulator();
      try {
        const body = { model: c.model, messages, stream: true, ...(tools ? { tools } : {}) };
        for await (const chunk of streamCompletion({ url, apiKey: c.apiKey, body, signal: ctx.signal, connectTimeoutMs: c.connectTimeoutMs, idleTimeoutMs: c.idleTimeoutMs })) {
          const delta = chunk.choices?.[0]?.delta;
          if (delta?.content) {
            text += delta.content;
            ctx.delta(delta.content);
          }
          if (delta?.tool_calls) acc.add(delta.tool_calls);
        }
        return { text, calls: acc.calls() };
      } catch (e) {
        if (ctx.signal.aborted || !(e instanceof ModelError)) throw e;
        // Once part of the reply reached the client, another attempt would repeat it.
        if (!e.retryable || text !== '' || attempt >= c.maxRetries) throw attempt > 0 ? new ModelError(`${e.message} (after ${attempt + 1} attempts)`, { cause: e }) : e;
        if (e.retryAfterMs !== null && e.retryAfterMs > c.retryMaxMs) {
          throw new ModelError(`${e.message}; the server asks to wait ${Math.ceil(e.retryAfterMs / 1000)} s, longer than the retry cap of ${c.retryMaxMs} ms`, { cause: e });
        }
        await sleep(e.retryAfterMs ?? backoffMs(attempt, c.retryBaseMs, c.retryMaxMs, random), undefined, { signal: ctx.signal });
      }
    }
  }

  return {
    id: 'openai',
    name: c.model,
    model: { provider: 'openai', id: c.model },
    commands: [],
    async reply(ctx: AgentContext): Promise<void> {
      const messages = buildMessages(c.systemPrompt, ctx.history, ctx.message, c.historyChars);
      const tools = toolSet(ctx as unknown as ToolHost);
      for (let round = 0; ; round++) {
        const t = await turn(ctx, messages, round < c.maxToolRounds ? tools.tools : undefined);
        if (t.calls.length === 0 || ctx.signal.aborted) return;
        if (round >= c.maxToolRounds) throw new ModelError(`the model kept asking for tools after ${c.maxToolRounds} rounds of tool calls`);
        messages.push({ role: 'assistant', content: t.text === '' ? null : t.text, tool_calls: t.calls.map((k) => ({ id: k.id, type: 'function', function: { name: k.name, arguments: k.arguments } })) });
        // The calls of one turn run side by side on the task pool; the chat keeps being served meanwhile.
        messages.push(...(await Promise.all(t.calls.map((k) => tools.run(k)))));
        if (ctx.signal.aborted) return;
      }
    },
  };
}
