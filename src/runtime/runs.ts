import type { RoutedAgent } from '../agents/router.js';
import type { AgentDelivery, HistoryMessage, Reply, TaskSpec } from '../agents/types.js';
import { err, ErrorCode } from '../protocol/frames.js';
import { Lane } from '../queue/records.js';
import type { ConnKey, Outbox } from './outbox.js';
import type { SessionShare } from './session-share.js';
import { toMessages, type HistoryEntry, type SessionStore } from './sessions.js';

/** Finished runs remembered for idempotency and agent.wait. */
const FINISHED_KEPT = 10_000;

export type RunOutcome = 'ok' | 'aborted' | 'error';

/** Who asked for a run, and how they want the answer. */
export interface RunOrigin {
  conn: ConnKey;
  /** The request id; for `agent`, the final `res` reuses it. */
  reqId: string;
  method: 'chat.send' | 'agent';
}

export interface Run {
  runId: string;
  sessionKey: string;
  agentId: string;
  origin: RunOrigin;
  seq: number;
  text: string;
  startedAt: number;
  /** Dropped when the run ends: finished runs are kept by the thousand for idempotency. */
  controller: AbortController | null;
  /** The lifecycle start event went out (it follows the run's first chat event). */
  announced: boolean;
  outcome: RunOutcome | null;
  error: string | null;
  endedAt: number;
  waiters: (() => void)[];
}

/** A run's chat state as the Gateway's `chat` event reports it. */
export interface ChatUpdate {
  runId: string;
  sessionKey: string;
  agentId: string;
  state: 'delta' | 'final' | 'aborted' | 'error';
  /** The reply so far (cumulative). */
  text: string;
  /** delta: the piece just streamed. */
  delta?: string;
  /** error: the message. */
  error?: string;
}

export interface RunDeps {
  out: Outbox;
  sessions: SessionStore;
  /** Connections watching every session (sessions.subscribe). */
  watchers: () => Iterable<ConnKey>;
  /** Starts background tasks for a run (results arrive on the ops lane). */
  spawn: (runId: string, sessionKey: string, tasks: TaskSpec[]) => void;
  /** Appends an agent's own ops event (through the ops lane, like ops.deliver). */
  deliver: (sessionKey: string, d: AgentDelivery & { idempotencyKey: string }) => Promise<{ seq: number; duplicate: boolean }>;
  /** Each chat state change, for in-process listeners (Gateway `chat`); null: nobody listens. */
  onChat: (() => ((u: ChatUpdate) => void) | null) | null;
  onError: (e: unknown) => void;
  /** Scale-out: sessions shared with other instances (absent on a single instance). */
  share?: SessionShare;
}

/**
 * Agent runs: one per idempotencyKey (the runId). A run streams `chat`
 * events (state delta/final/aborted/error, cumulative text as OpenClaw
 * sends it) and `agent` events (lifecycle + assistant) to the requesting
 * connection and to every session watcher, with one per-run `seq`.
 */
export class RunManager {
  readonly #deps: RunDeps;
  readonly #runs = new Map<string, Run>();
  #finished: string[] = [];

  constructor(deps: RunDeps) {
    this.#deps = deps;
  }

  get activeCount(): number {
    return this.#runs.size - this.#finished.length;
  }

  find(runId: string): Run | undefined {
    return this.#runs.get(runId);
  }

  /** Starts a run; the caller has already answered the request. */
  start(runId: string, sessionKey: string, message: string, origin: RunOrigin, agent: RoutedAgent): void {
    const session = this.#deps.sessions.get(sessionKey);
    // The transcript before this message: its entries are taken now (one
    // array of references; the append below may trim the oldest), the
    // agent's messages are built only if it reads them. Building them per
    // chat, up to LANEGATE_HISTORY_LIMIT objects that the echo agent never
    // reads, was the largest thing each chat left for the runtime's garbage
    // collector, since a reply spans several turns.
    const earlier = session.snapshot();
    let history: HistoryMessage[] | null = null;
    const kept = this.#share(sessionKey, session.append('user', message, { runId }));
    session.active.add(runId);
    const controller = new AbortController();
    const run: Run = {
      runId,
      sessionKey,
      agentId: agent.id,
      origin,
      seq: 0,
      text: '',
      startedAt: Date.now(),
      controller,
      announced: false,
      outcome: null,
      error: null,
      endedAt: 0,
      waiters: [],
    };
    this.#runs.set(runId, run);
    if (!kept) {
      // The transcript could not be stored (Redis away and its write buffer full): say so, do not run.
      this.#finish(run, 'error', 'the transcript cannot be stored right now; retry later');
      return;
    }
    let delivered = 0;
    const ctx = {
      runId,
      agentId: agent.id,
      sessionKey,
      message,
      get history(): HistoryMessage[] {
        return (history ??= toMessages(earlier));
      },
      signal: controller.signal,
      delta: (piece: string) => this.#delta(run, piece),
      spawn: (tasks: TaskSpec[]) => this.#deps.spawn(runId, sessionKey, tasks),
      deliver: (d: AgentDelivery) => this.#deps.deliver(sessionKey, { ...d, idempotencyKey: d.idempotencyKey ?? `${runId}:agent:${++delivered}` }),
    };
    let reply: Promise<void>;
    try {
      reply = this.#drive(run, agent.agent.reply(ctx), controller.signal);
    } catch (e) {
      reply = Promise.reject(e);
    }
    reply.then(
      () => this.#finish(run, controller.signal.aborted ? 'aborted' : 'ok', null),
      (e: unknown) => this.#finish(run, controller.signal.aborted ? 'aborted' : 'error', e instanceof Error ? e.message : String(e)),
    );
  }

  /** A reply is a promise (deltas through ctx.delta) or an async iterable of deltas. */
  async #drive(run: Run, reply: Reply, signal: AbortSignal): Promise<void> {
    if (reply === null || typeof reply !== 'object') return;
    if (!(Symbol.asyncIterator in reply)) return reply;
    // Leaving the loop (abort, or the run already ended) calls the generator's return().
    for await (const piece of reply) {
      if (signal.aborted || run.outcome !== null) break;
      if (typeof piece === 'string') this.#delta(run, piece);
    }
  }

  /** Aborts the session's active runs (or the one named). Returns the runIds aborted. */
  abort(sessionKey: string, runId?: string): string[] {
    const session = this.#deps.sessions.find(sessionKey);
    if (!session) return [];
    const ids = runId ? [...session.active].filter((id) => id === runId) : [...session.active];
    for (const id of ids) {
      const run = this.#runs.get(id);
      if (run) this.#abortRun(run);
    }
    return ids;
  }

  /** Aborts everything (shutdown). */
  abortAll(): void {
    for (const run of this.#runs.values()) this.#abortRun(run);
  }

  /** Aborts a run that is still going (a finished one has no controller left). */
  #abortRun(run: Run): void {
    if (run.outcome !== null) return;
    run.controller?.abort();
    this.#finish(run, 'aborted', null);
  }

  /** Resolves when the run ends or after timeoutMs; answers agent.wait. */
  wait(runId: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const run = this.#runs.get(runId);
    if (!run) return Promise.resolve({ runId, status: 'unknown' });
    if (run.outcome !== null) return Promise.resolve(this.#waitResult(run));
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ runId, status: 'timeout' }), timeoutMs);
      run.waiters.push(() => {
        clearTimeout(timer);
        resolve(this.#waitResult(run));
      });
    });
  }

  #waitResult(run: Run): Record<string, unknown> {
    const status = run.outcome === 'ok' ? 'ok' : run.outcome === 'aborted' ? 'timeout' : 'error';
    return { runId: run.runId, status, startedAt: run.startedAt, endedAt: run.endedAt, ...(run.error ? { error: run.error } : {}) };
  }

  /** The final `agent` answer for a finished run (also replayed for a repeated idempotencyKey). */
  agentFinal(runId: string): Record<string, unknown> | null {
    const run = this.#runs.get(runId);
    if (!run || run.outcome === null) return null;
    if (run.outcome === 'ok') {
      return { runId, status: 'ok', summary: 'completed', result: { payloads: [{ text: run.text }], meta: { durationMs: run.endedAt - run.startedAt } } };
    }
    if (run.outcome === 'aborted') return { runId, status: 'timeout', summary: 'aborted', stopReason: 'aborted' };
    return { runId, status: 'error', summary: run.error ?? 'failed' };
  }

  /** Hands an entry appended here to the share; true when it is kept (always, on a single instance). */
  #share(sessionKey: string, entry: HistoryEntry): boolean {
    return this.#deps.share?.entryAppended(sessionKey, entry) ?? true;
  }

  #recipients(run: Run): Set<ConnKey> {
    const to = new Set<ConnKey>(this.#deps.watchers());
    to.add(run.origin.conn);
    return to;
  }

  /**
   * Sends a `chat` event, then, for the run's first one, the `agent`
   * lifecycle start. Why this order: the OpenClaw TUI (2026.9.6) ties a run
   * to its pending send when a chat event arrives before it has tracked the
   * run; a lifecycle start seen first makes it track the run without
   * clearing the send, and if the chat.send ack is processed after the whole
   * run (an instant reply arriving in the same socket read), the TUI waits
   * forever. A real model's latency hides this on OpenClaw's own server.
   */
  #chatEvent(run: Run, payload: Record<string, unknown>): void {
    const chat = { runId: run.runId, sessionKey: run.sessionKey, seq: ++run.seq, ...payload };
    this.#deps.out.event(this.#recipients(run), Lane.CONV, 'chat', chat);
    this.#deps.share?.eventSent(run.sessionKey, 'chat', chat);
    if (!run.announced) {
      run.announced = true;
      this.#agentEvent(run, 'lifecycle', { phase: 'start', startedAt: run.startedAt });
    }
  }

  #agentEvent(run: Run, stream: string, data: Record<string, unknown>): void {
    const agent = { runId: run.runId, seq: ++run.seq, stream, ts: Date.now(), sessionKey: run.sessionKey, data };
    this.#deps.out.event(this.#recipients(run), Lane.CONV, 'agent', agent);
    this.#deps.share?.eventSent(run.sessionKey, 'agent', agent);
  }

  #delta(run: Run, piece: string): void {
    if (run.outcome !== null || piece === '') return;
    run.text += piece;
    // OpenClaw sends the cumulative text in deltas (replace: true); the TUI renders `message`.
    this.#chatEvent(run, { state: 'delta', deltaText: run.text, replace: true, message: { role: 'assistant', content: [{ type: 'text', text: run.text }] } });
    this.#agentEvent(run, 'assistant', { text: run.text, delta: piece });
    this.#deps.onChat?.()?.({ runId: run.runId, sessionKey: run.sessionKey, agentId: run.agentId, state: 'delta', text: run.text, delta: piece });
  }

  #finish(run: Run, outcome: RunOutcome, error: string | null): void {
    if (run.outcome !== null) return;
    run.outcome = outcome;
    run.error = error;
    run.endedAt = Date.now();
    run.controller = null;
    const session = this.#deps.sessions.get(run.sessionKey);
    session.active.delete(run.runId);
    const partial = { role: 'assistant', content: [{ type: 'text', text: run.text }], timestamp: run.endedAt };
    try {
      if (outcome === 'ok') {
        this.#share(run.sessionKey, session.append('assistant', run.text, { runId: run.runId, stopReason: 'stop' }));
        this.#chatEvent(run, { state: 'final', stopReason: 'stop', message: { ...partial, text: run.text, stopReason: 'stop' } });
        this.#agentEvent(run, 'lifecycle', { phase: 'end', startedAt: run.startedAt, endedAt: run.endedAt });
      } else if (outcome === 'aborted') {
        if (run.text) this.#share(run.sessionKey, session.append('assistant', run.text, { runId: run.runId, stopReason: 'aborted' }));
        this.#chatEvent(run, { state: 'aborted', stopReason: 'aborted', ...(run.text ? { message: partial } : {}) });
        this.#agentEvent(run, 'lifecycle', { phase: 'end', startedAt: run.startedAt, endedAt: run.endedAt, aborted: true });
      } else {
        this.#chatEvent(run, { state: 'error', errorMessage: error ?? 'agent failed', errorKind: 'unknown' });
        this.#agentEvent(run, 'lifecycle', { phase: 'error', error: error ?? 'agent failed', endedAt: run.endedAt });
      }
      if (run.origin.method === 'agent') this.#answerAgent(run);
      const state = outcome === 'ok' ? 'final' : outcome;
      this.#deps.onChat?.()?.({ runId: run.runId, sessionKey: run.sessionKey, agentId: run.agentId, state, text: run.text, ...(error ? { error } : {}) });
    } catch (e) {
      this.#deps.onError(e);
    }
    for (const w of run.waiters.splice(0)) w();
    this.#remember(run.runId);
    this.#deps.share?.turnEnded(run.sessionKey, session.active.size);
  }

  #answerAgent(run: Run): void {
    const { conn, reqId } = run.origin;
    if (run.outcome === 'error') {
      this.#deps.out.fail(conn, Lane.CONV, reqId, err(ErrorCode.UNAVAILABLE, run.error ?? 'agent failed'));
      return;
    }
    this.#deps.out.ok(conn, Lane.CONV, reqId, this.agentFinal(run.runId));
  }

  #remember(runId: string): void {
    this.#finished.push(runId);
    if (this.#finished.length > FINISHED_KEPT) {
      const drop = this.#finished.splice(0, this.#finished.length - FINISHED_KEPT);
      for (const id of drop) this.#runs.delete(id);
    }
  }
}
