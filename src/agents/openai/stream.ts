import { createParser } from 'eventsource-parser';
import { ModelError, retryAfterMs, retryableStatus } from './retry.js';

// One streamed Chat Completions request: POST, then the server-sent events
// of the body as parsed chunks. Two timers bound it: no response headers
// within connectTimeoutMs, or no body bytes for idleTimeoutMs, ends it with
// a ModelError; the caller's signal (chat.abort) cancels the HTTP request
// itself, so the server sees the connection close.

/** The fields of a `chat.completion.chunk` this client reads. */
export interface ChatChunk {
  choices?: {
    delta?: { content?: string | null; tool_calls?: ToolCallDelta[] };
    finish_reason?: string | null;
  }[];
  error?: { message?: string } | string;
}

export interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

export interface StreamRequest {
  url: string;
  apiKey: string | null;
  body: unknown;
  signal: AbortSignal;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Most of an error body kept for the message. */
const ERROR_BODY_MAX = 2000;
const CHUNK_SHOWN = 120;

function serverMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message);
    if (typeof m === 'string' && m !== '') return m;
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 300);
}

/** Yields each parsed chunk until `data: [DONE]` (or the end of a stream that finished). */
export async function* streamCompletion(r: StreamRequest): AsyncGenerator<ChatChunk> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(r.signal.reason);
  if (r.signal.aborted) onAbort();
  else r.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, error: () => ModelError): void => {
    clearTimeout(timer);
    timer = setTimeout(() => ac.abort(error()), ms);
  };
  // What ended the request: the caller's abort as it is, our timers' ModelError, anything else as a failed connection.
  const failure = (e: unknown, what: string, retryable: boolean): unknown => {
    if (r.signal.aborted) return r.signal.reason ?? e;
    if (ac.signal.reason instanceof ModelError) return ac.signal.reason;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.message ?? cause?.code ?? (e as Error).message;
    return new ModelError(`${what}: ${detail}`, { retryable, cause: e });
  };
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let yielded = false;
  try {
    arm(r.connectTimeoutMs, () => new ModelError(`the model server did not answer within ${r.connectTimeoutMs} ms`, { retryable: true }));
    let res: Response;
    try {
      res = await fetch(r.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(r.apiKey ? { authorization: `Bearer ${r.apiKey}` } : {}) },
        body: JSON.stringify(r.body),
        signal: ac.signal,
      });
    } catch (e) {
      throw failure(e, `could not reach the model server at ${r.url}`, true);
    }
    arm(r.idleTimeoutMs, () => new ModelError(`the model server sent nothing for ${r.idleTimeoutMs} ms`, { retryable: !yielded }));
    if (!res.ok || !res.body) {
      let text = '';
      try {
        text = (await res.text()).slice(0, ERROR_BODY_MAX);
      } catch (e) {
        throw failure(e, `the model server answered HTTP ${res.status}`, retryableStatus(res.status));
      }
      throw new ModelError(`the model server answered HTTP ${res.status}${text ? `: ${serverMessage(text)}` : ''}`, {
        status: res.status,
        retryable: retryableStatus(res.status),
        retryAfterMs: retryAfterMs(res.headers),
      });
    }
    reader = res.body.getReader();
    const decoder = new TextDecoder();
    // A server that ignored `stream: true` answers one JSON completion: read it as one chunk.
    const json = /application\/json/i.test(res.headers.get('content-type') ?? '');
    let whole = '';
    const events: string[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e.data) });
    let finished = false;
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (e) {
        throw failure(e, 'the model server connection failed mid-stream', !yielded);
      }
      if (next.done) break;
      arm(r.idleTimeoutMs, () => new ModelError(`the model server sent nothing for ${r.idleTimeoutMs} ms`, { retryable: !yielded }));
      const text = decoder.decode(next.value, { stream: true });
      if (json) {
        whole += text;
        continue;
      }
      parser.feed(text);
      for (const data of events.splice(0)) {
        if (data.trim() === '[DONE]') return;
        const chunk = parseChunk(data);
        if (chunk.choices?.some((c) => c.finish_reason)) finished = true;
        yielded = true;
        yield chunk;
      }
    }
    if (json) {
      yield fromCompletion(parseChunk(whole) as { choices?: { message?: { content?: string | null; tool_calls?: ToolCallDelta[] }; finish_reason?: string }[] });
      return;
    }
    // Some servers end without [DONE]; a stream that said why it finished is complete.
    if (!finished) throw new ModelError('the model server closed the stream before the reply finished', { retryable: !yielded });
  } finally {
    clearTimeout(timer);
    r.signal.removeEventListener('abort', onAbort);
    // Leaving early (abort, error, [DONE] before the end): close the connection.
    if (reader) void reader.cancel().catch(() => {});
    if (!ac.signal.aborted) ac.abort();
  }
}

function parseChunk(data: string): ChatChunk {
  let chunk: ChatChunk;
  try {
    chunk = JSON.parse(data) as ChatChunk;
  } catch {
    throw new ModelError(`the model server sent a malformed chunk: ${JSON.stringify(data.slice(0, CHUNK_SHOWN))}`);
  }
  if (typeof chunk !== 'object' || chunk === null) throw new ModelError(`the model server sent a malformed chunk: ${JSON.stringify(data.slice(0, CHUNK_SHOWN))}`);
  if (chunk.error !== undefined) {
    const m = typeof chunk.error === 'string' ? chunk.error : (chunk.error.message ?? JSON.stringify(chunk.error));
    throw new ModelError(`the model server reported an error mid-stream: ${m}`);
  }
  return chunk;
}

/** A non-streamed completion as the one chunk it amounts to. */
function fromCompletion(c: { choices?: { message?: { content?: string | null; tool_calls?: ToolCallDelta[] }; finish_reason?: string }[] }): ChatChunk {
  const choice = c.choices?.[0];
  const calls = choice?.message?.tool_calls?.map((t, index) => ({ ...t, index }));
  return { choices: [{ delta: { content: choice?.message?.content ?? null, ...(calls ? { tool_calls: calls } : {}) }, finish_reason: choice?.finish_reason ?? 'stop' }] };
}
