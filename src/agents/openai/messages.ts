import type { HistoryMessage } from '../types.js';

/** A Chat Completions message as this client sends it. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/**
 * The request's messages: the system prompt, then as much of the session's
 * history as fits in `historyChars` characters (the newest messages kept
 * whole, older ones dropped; a budget in characters because tokenizers
 * differ per server, at roughly four characters a token), then the new
 * message, which is always sent.
 */
export function buildMessages(systemPrompt: string | null, history: readonly HistoryMessage[], message: string, historyChars: number): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let used = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i]!;
    if (m.text === '') continue;
    if (used + m.text.length > historyChars) break;
    used += m.text.length;
    kept.push({ role: m.role, content: m.text });
  }
  kept.reverse();
  return [...(systemPrompt ? [{ role: 'system' as const, content: systemPrompt }] : []), ...kept, { role: 'user', content: message }];
}
