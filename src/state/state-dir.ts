import { constants, accessSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, StateError } from '../errors.js';
import { bootId, DirLock, type LockInfo } from './dir-lock.js';

/**
 * Where each part of the state lives, under LANEGATE_STATE_DIR:
 *
 *     LOCK            the running gateway (pid file)
 *     ops/            the ops log: meta.json (epoch), segments <first seq>.log
 *     sessions/       chat transcripts, one file per session
 *     cron/           cron jobs and their runs
 */
export interface StatePaths {
  root: string;
  lock: string;
  ops: string;
  sessions: string;
  cron: string;
}

export function statePaths(root: string): StatePaths {
  return { root, lock: join(root, 'LOCK'), ops: join(root, 'ops'), sessions: join(root, 'sessions'), cron: join(root, 'cron') };
}

/** How the error messages name the directory: the variable, as a bad setting does. */
const describe = (root: string): string => `LANEGATE_STATE_DIR=${JSON.stringify(root)}`;

function ensureDir(path: string, root: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StateError(ErrorCodes.STATE_DIR, path, `${describe(root)} is invalid: cannot create ${path}: ${(e as Error).message}`, { cause: e });
  }
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
    accessSync(path, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new StateError(ErrorCodes.STATE_DIR, path, `${describe(root)} is invalid: ${path} is not readable and writable by this user: ${(e as Error).message}`, { cause: e });
  }
  if (!isDir) throw new StateError(ErrorCodes.STATE_DIR, path, `${describe(root)} is invalid: ${path} is not a directory`);
}

/**
 * The opened state directory: created on first start, locked for this
 * gateway. Opening is synchronous and happens before any client is served;
 * every failure is a StateError with a one-line message (main.ts exits 2).
 */
export class StateDir {
  readonly paths: StatePaths;
  readonly #lock: DirLock;

  private constructor(paths: StatePaths, lock: DirLock) {
    this.paths = paths;
    this.#lock = lock;
  }

  static open(root: string, fsync: string): StateDir {
    const paths = statePaths(root);
    ensureDir(root, root);
    const lock = DirLock.acquire(paths.lock, fsync, `${describe(root)} is invalid`);
    try {
      for (const dir of [paths.ops, paths.sessions, paths.cron]) ensureDir(dir, root);
    } catch (e) {
      lock.release();
      throw e;
    }
    return new StateDir(paths, lock);
  }

  /** The previous gateway's lock when it did not stop cleanly (crash, kill -9, power loss), else null. */
  get previousHolder(): LockInfo | null {
    return this.#lock.previous;
  }

  /**
   * True when the previous gateway did not stop cleanly and the machine
   * rebooted since: data it had only handed to the OS (LANEGATE_FSYNC
   * everysec or no) may be gone, so the ops log cannot promise that seqs it
   * had shown were kept.
   */
  get rebootedSinceCrash(): boolean {
    const p = this.#lock.previous;
    return p !== null && p.bootId !== null && p.bootId !== bootId();
  }

  /** Releases the lock (clean stop). */
  close(): void {
    this.#lock.release();
  }
}
