import type { Agent, AgentContext, AgentOptions } from './types.js';

/**
 * An agent backed by an OpenAI-compatible Chat Completions endpoint
 * (LANEGATE_OPENAI_BASE_URL, LANEGATE_OPENAI_MODEL, OPENAI_API_KEY). It
 * streams the model's reply as deltas (server-sent events) and honours
 * chat.abort through the request's AbortSignal.
 */
export function createOpenAIAgent(opt: AgentOptions['openai']): Agent {
  return {
    id: 'openai',
    name: `OpenAI ${opt.model}`,
    commands: [],
    async reply(ctx: AgentContext): Promise<void> {
      const messages = [...ctx.history.map((m) => ({ role: m.role, content: m.text })), { role: 'user', content: ctx.message }];
      const res = await fetch(`${opt.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opt.apiKey ?? ''}` },
        body: JSON.stringify({ model: opt.model, messages, stream: true }),
        signal: ctx.signal,
      });
      if (!res.ok || !res.body) throw new Error(`model request failed: HTTP ${res.status}`);
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') return;
          const piece = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
          if (piece) ctx.delta(piece);
        }
      }
    },
  };
}
