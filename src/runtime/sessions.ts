import { randomUUID } from 'node:crypto';
import type { HistoryMessage } from '../agents/types.js';

/** One transcript entry, in the shape OpenClaw clients render. */
export interface HistoryEntry {
  /** Position in this session's transcript: starts at 1 (lanegate's afterSeq cursor). */
  seq: number;
  role: 'user' | 'assistant';
  content: { type: 'text'; text: string }[];
  timestamp: number;
  runId?: string;
  stopReason?: string;
}

export class Session {
  readonly key: string;
  readonly sessionId = randomUUID();
  readonly createdAt = Date.now();
  updatedAt = this.createdAt;
  readonly #limit: number;
  readonly #entries: HistoryEntry[] = [];
  #seq = 0;
  /** Runs in flight, by runId. */
  readonly active = new Set<string>();

  constructor(key: string, limit: number) {
    this.key = key;
    this.#limit = limit;
  }

  get headSeq(): number {
    return this.#seq;
  }

  append(role: HistoryEntry['role'], text: string, extra: Partial<Pick<HistoryEntry, 'runId' | 'stopReason'>> = {}): HistoryEntry {
    const entry: HistoryEntry = { seq: ++this.#seq, role, content: [{ type: 'text', text }], timestamp: Date.now(), ...extra };
    this.#entries.push(entry);
    if (this.#entries.length > this.#limit) this.#entries.splice(0, this.#entries.length - this.#limit);
    this.updatedAt = entry.timestamp;
    return entry;
  }

  /**
   * Adds an entry another instance appended (scale-out). In order only:
   * returns false for a gap (an entry missed), and the caller reloads.
   */
  adopt(entry: HistoryEntry): boolean {
    if (entry.seq <= this.#seq) return true; // had it already
    if (entry.seq !== this.#seq + 1) return false;
    this.#seq = entry.seq;
    this.#entries.push(entry);
    if (this.#entries.length > this.#limit) this.#entries.splice(0, this.#entries.length - this.#limit);
    this.updatedAt = entry.timestamp;
    return true;
  }

  /** Replaces the transcript with the stored one (taken over from another instance, or loaded). */
  replace(entries: readonly HistoryEntry[]): void {
    const kept = entries.slice(-this.#limit);
    this.#entries.splice(0, this.#entries.length, ...kept);
    const last = kept.at(-1);
    if (last && last.seq > this.#seq) this.#seq = last.seq;
    if (last) this.updatedAt = Math.max(this.updatedAt, last.timestamp);
  }

  /** The last `limit` entries with seq > afterSeq, oldest first. */
  read(afterSeq: number, limit: number): HistoryEntry[] {
    let from = this.#entries.findIndex((e) => e.seq > afterSeq);
    if (from < 0) return [];
    from = Math.max(from, this.#entries.length - limit);
    return this.#entries.slice(from);
  }

  /**
   * The retained entries, oldest first, as they are now: a copy of the list
   * (entries themselves never change), so later appends and trims do not
   * reach it. Cheap: one array of references.
   */
  snapshot(): readonly HistoryEntry[] {
    return this.#entries.slice();
  }

  /** A SessionRow as sessions.list / sessions.describe return it. */
  row(agentId: string): Record<string, unknown> {
    return {
      key: this.key,
      kind: 'direct',
      sessionId: this.sessionId,
      agentId,
      displayName: this.key,
      updatedAt: this.updatedAt,
      hasActiveRun: this.active.size > 0,
      activeRunIds: [...this.active],
    };
  }
}

/** All sessions of this gateway, created on first use. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #limit: number;

  constructor(historyLimit: number) {
    this.#limit = historyLimit;
  }

  get(key: string): Session {
    let s = this.#sessions.get(key);
    if (!s) this.#sessions.set(key, (s = new Session(key, this.#limit)));
    return s;
  }

  find(key: string): Session | undefined {
    return this.#sessions.get(key);
  }

  /** Entries kept per session. */
  get limit(): number {
    return this.#limit;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Most recently updated first. */
  list(): Session[] {
    return [...this.#sessions.values()].sort((a, b) => b.updatedAt - a.updatedAt);
  }
}

/** Transcript entries as an agent's context messages, oldest first. */
export function toMessages(entries: readonly HistoryEntry[]): HistoryMessage[] {
  return entries.map((e) => ({ role: e.role, text: e.content[0]?.text ?? '' }));
}
