import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { ErrorCodes, StateError } from '../errors.js';

// One gateway per state directory. Node has no flock(), so the lock is a
// pid file in the manner of PostgreSQL's postmaster.pid: created with
// O_EXCL, holding who made it; a file whose process is gone (kill -9, a
// crash, a reboot) is stale and taken over. The process is identified by
// pid *and* its start time (Linux /proc), so a reused pid is not taken for
// the old gateway, and a container where the gateway is always pid 1 does
// not lock itself out.

/** What the lock file records about its holder. */
export interface LockInfo {
  pid: number;
  host: string;
  /** Kernel boot id (Linux): a different one means the machine rebooted since. */
  bootId: string | null;
  /** The process's start time in clock ticks since boot (Linux /proc/<pid>/stat), to tell a reused pid. */
  procStart: string | null;
  startedAt: string;
  /** LANEGATE_FSYNC of the holder: after a reboot, what it may have lost. */
  fsync: string;
}

export function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

function parse(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? (v as LockInfo) : null;
  } catch {
    return null; // torn by a crash while it was being written: nobody holds it
  }
}

/** Whether the lock's holder is still running (on this host; another host's lock is taken as held). */
function held(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  if (info.bootId !== null && info.bootId !== bootId()) return false;
  if (info.pid === process.pid || !alive(info.pid)) return false;
  const start = procStart(info.pid);
  return !(start !== null && info.procStart !== null && start !== info.procStart);
}

export class DirLock {
  readonly path: string;
  /** The stale lock taken over (the previous gateway did not stop cleanly), or null. */
  readonly previous: LockInfo | null;
  #released = false;

  private constructor(path: string, previous: LockInfo | null) {
    this.path = path;
    this.previous = previous;
  }

  /** Takes the lock or throws StateError (STATE_LOCKED when another gateway holds it). */
  static acquire(path: string, fsync: string, describe: string): DirLock {
    const me: LockInfo = { pid: process.pid, host: hostname(), bootId: bootId(), procStart: procStart(process.pid), startedAt: new Date().toISOString(), fsync };
    let previous: LockInfo | null = null;
    // Twice at most: once, and once more after removing a stale lock. A
    // second EEXIST means another gateway took it in between.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeSync(fd, `${JSON.stringify(me)}\n`);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        return new DirLock(path, previous);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StateError(ErrorCodes.STATE_DIR, path, `${describe}: cannot create the lock file ${path}: ${(e as Error).message}`, { cause: e });
        }
      }
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue; // removed meanwhile: try again
      }
      const info = parse(text);
      if (info && held(info)) {
        throw new StateError(
          ErrorCodes.STATE_LOCKED,
          path,
          `${describe}: held by another gateway (pid ${info.pid} on ${info.host}, since ${info.startedAt}); stop it or use another directory (if no gateway runs, remove ${path})`,
        );
      }
      previous = info ?? previous;
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new StateError(ErrorCodes.STATE_DIR, path, `${describe}: cannot remove the stale lock ${path}: ${(e as Error).message}`, { cause: e });
        }
      }
    }
    throw new StateError(ErrorCodes.STATE_LOCKED, path, `${describe}: another gateway took the lock while this one started`);
  }

  /** Removes the lock (clean stop). Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone: nothing to release
    }
  }
}
