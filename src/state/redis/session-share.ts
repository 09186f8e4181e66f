import type { SessionShare, SharedSessionsSink } from '../../runtime/session-share.js';
import type { HistoryEntry } from '../../runtime/sessions.js';
import type { RedisChatShare } from './chat-share.js';

/**
 * The runtime's SessionShare over Redis: turns of a session run where its
 * lease is held (no Redis round trip while this instance holds it), a
 * session taken over starts from the stored transcript, and the holder
 * gives a session up when another instance asks and no turn of it runs.
 */
export class RedisSessionShare implements SessionShare {
  readonly #chat: RedisChatShare;
  readonly #limit: number;
  #sink: SharedSessionsSink | null = null;
  /** Turns waiting for the session's lease, per session, in order. */
  readonly #queued = new Map<string, (() => void)[]>();
  /** Sessions another instance asked for while a turn of them ran here. */
  readonly #handOver = new Set<string>();

  constructor(chat: RedisChatShare, historyLimit: number) {
    this.#chat = chat;
    this.#limit = historyLimit;
  }

  /** Connects the share to the runtime and starts listening to the other instances. */
  attach(sink: SharedSessionsSink): Promise<void> {
    this.#sink = sink;
    return this.#chat.start({
      event: (s, e, p) => sink.remoteEvent(s, e, p),
      entry: (s, x) => sink.remoteEntry(s, x),
      releaseWanted: (s) => {
        if (sink.activeTurns(s) === 0 && !this.#queued.has(s)) this.#chat.release(s);
        else this.#handOver.add(s);
      },
    });
  }

  whenHeld(sessionKey: string, turn: () => void): void {
    const queue = this.#queued.get(sessionKey);
    if (queue) {
      queue.push(turn);
      return;
    }
    if (this.#chat.holds(sessionKey)) {
      turn();
      return;
    }
    this.#queued.set(sessionKey, [turn]);
    void this.#takeOver(sessionKey);
  }

  turnEnded(sessionKey: string, active: number): void {
    if (active > 0 || this.#queued.has(sessionKey) || !this.#handOver.delete(sessionKey)) return;
    this.#chat.release(sessionKey);
  }

  entryAppended(sessionKey: string, entry: HistoryEntry): boolean {
    return this.#chat.append(sessionKey, entry);
  }

  eventSent(sessionKey: string, event: string, payload: Record<string, unknown>): void {
    this.#chat.event(sessionKey, event, payload);
  }

  load(sessionKey: string, limit: number): Promise<HistoryEntry[]> {
    return this.#chat.tail(sessionKey, limit);
  }

  async #takeOver(sessionKey: string): Promise<void> {
    const held = await this.#chat.acquire(sessionKey);
    // Held: the stored transcript is the truth (the last holder's writes landed before it let go).
    // Not held: Redis is away; the turn runs on what this instance has.
    if (held) {
      const stored = await this.#chat.tail(sessionKey, this.#limit).catch(() => null);
      if (stored && stored.length > 0) this.#sink?.adoptTranscript(sessionKey, stored);
    }
    const turns = this.#queued.get(sessionKey) ?? [];
    this.#queued.delete(sessionKey);
    for (const t of turns) t();
  }
}
