import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ErrorCodes, StateError } from '../errors.js';

// A small JSON document in the state directory (the ops log's meta, cron
// jobs), replaced atomically: written to a temporary file beside it,
// fsynced, renamed over the old one, and the directory fsynced so the
// rename itself survives a power loss. A reader sees the old document or
// the new one, never a mix.

const tempName = (path: string): string => `${dirname(path)}/.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** The text a document is stored as: JSON and a final newline, so it reads well in an editor and diffs cleanly. */
const render = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Reads a document; null when the file does not exist; StateError (STATE_CORRUPT) when it is not JSON or `check` refuses it. */
export function readJsonDoc<T>(path: string, check: (v: unknown) => v is T): T | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateError(ErrorCodes.STATE_DIR, path, `${path} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new StateError(ErrorCodes.STATE_CORRUPT, path, `${path} is corrupt (not JSON: ${(e as Error).message}); restore it from a backup or move it away`, { cause: e });
  }
  if (!check(value)) throw new StateError(ErrorCodes.STATE_CORRUPT, path, `${path} is corrupt (unexpected content); restore it from a backup or move it away`);
  return value;
}

/** Replaces the document atomically and durably, synchronously (at start, before any client is served). */
export function writeJsonDocSync(path: string, value: unknown): void {
  const tmp = tempName(path);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, render(value));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDirSync(dirname(path));
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never written, or already renamed
    }
    throw new StateError(ErrorCodes.STATE_WRITE, path, `${path} cannot be written: ${(e as Error).message}`, { cause: e });
  }
}

/** The same, without blocking the event loop (the writes run on libuv's threads). */
export async function writeJsonDoc(path: string, value: unknown): Promise<void> {
  const tmp = tempName(path);
  try {
    const h = await open(tmp, 'wx', 0o600);
    try {
      await h.writeFile(render(value));
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new StateError(ErrorCodes.STATE_WRITE, path, `${path} cannot be written: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * A document saved often (cron jobs on every change): one write at a time,
 * and a save made while one is in flight is folded into the next, so the
 * file gets the latest value without a write per change. `save` resolves
 * once a write holding that value (or a later one) is durable.
 */
export class JsonDocument<T> {
  readonly path: string;
  readonly #check: (v: unknown) => v is T;
  #writing: Promise<void> | null = null;
  #next: { value: T; waiters: { resolve: () => void; reject: (e: unknown) => void }[] } | null = null;

  constructor(path: string, check: (v: unknown) => v is T) {
    this.path = path;
    this.#check = check;
  }

  /** The stored value, or null when there is none yet (synchronous: read at start). */
  read(): T | null {
    return readJsonDoc(this.path, this.#check);
  }

  save(value: T): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#next) {
        this.#next.value = value;
        this.#next.waiters.push({ resolve, reject });
      } else {
        this.#next = { value, waiters: [{ resolve, reject }] };
      }
      if (!this.#writing) this.#writing = this.#drain();
    });
  }

  /** Resolves once every save made so far is on disk (or has failed). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#next) {
      const { value, waiters } = this.#next;
      this.#next = null;
      try {
        await writeJsonDoc(this.path, value);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.#writing = null;
  }
}
