import type { HistoryEntry } from './sessions.js';

/**
 * How a gateway shares its chat sessions with other instances (Redis
 * scale-out, src/state/redis/session-share.ts); absent on a single
 * instance. The runtime never waits on it for anything a single instance
 * does not wait for: writes go behind, and a turn waits only when another
 * instance holds the session.
 */
export interface SessionShare {
  /**
   * Runs `turn` once this instance may run the session's next turn: at
   * once when it holds the session already (the usual case), otherwise
   * after taking it over (the transcript is brought up to date first).
   * Turns given for one session run in the order given.
   */
  whenHeld(sessionKey: string, turn: () => void): void;
  /** A turn of the session ended here; `active` turns of it are still running. */
  turnEnded(sessionKey: string, active: number): void;
  /** Stores an entry appended here, behind; false when it cannot be kept (the write buffer is full). */
  entryAppended(sessionKey: string, entry: HistoryEntry): boolean;
  /** A chat or agent event of a run here, for the session's watchers on other instances. */
  eventSent(sessionKey: string, event: string, payload: Record<string, unknown>): void;
  /** The stored transcript of a session this instance does not have yet: its last `limit` entries. */
  load(sessionKey: string, limit: number): Promise<HistoryEntry[]>;
}

/** What the share tells the runtime about other instances. */
export interface SharedSessionsSink {
  /** A chat/agent event of a run elsewhere: sent to this instance's session watchers. */
  remoteEvent(sessionKey: string, event: string, payload: Record<string, unknown>): void;
  /** An entry appended elsewhere: added to this instance's copy of the session, if it has one. */
  remoteEntry(sessionKey: string, entry: HistoryEntry): void;
  /** Whether a turn of the session is running here. */
  activeTurns(sessionKey: string): number;
  /** Replaces this instance's copy of the session's transcript (taken over: the stored one is the truth). */
  adoptTranscript(sessionKey: string, entries: HistoryEntry[]): void;
}
