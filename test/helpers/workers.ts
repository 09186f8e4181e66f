// Starting test fixtures as real worker_threads Workers.

import { Worker } from 'node:worker_threads';

/** What every fixture posts last, after its work is complete. */
export interface DoneMessage {
  type: 'done';
  [key: string]: unknown;
}

export interface Fixture {
  worker: Worker;
  /** Resolves with the fixture's 'done' message; rejects if it throws or exits first. */
  done: Promise<DoneMessage>;
  /** Ends the worker (safe to call more than once; used in t.after). */
  stop(): Promise<void>;
}

/**
 * Runs dist/test/fixtures/<name>.js. `onMessage` sees every message except
 * 'done'. The worker stays ref'd on purpose: a pending Atomics.waitAsync
 * does not keep Node's event loop alive (nodejs/node#61941), so while the
 * main thread is parked the worker is what does. Tests end it in t.after.
 */
export function startFixture(name: string, workerData: unknown, onMessage?: (msg: unknown) => void): Fixture {
  const worker = new Worker(new URL(`../fixtures/${name}.js`, import.meta.url), { workerData });
  const done = new Promise<DoneMessage>((resolve, reject) => {
    worker.on('message', (msg: unknown) => {
      if ((msg as DoneMessage | null)?.type === 'done') resolve(msg as DoneMessage);
      else onMessage?.(msg);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`fixture ${name} exited with code ${code} before it was done`)));
  });
  // Callers may await `done` late (after their own work); keep an early
  // rejection from counting as unhandled meanwhile.
  done.catch(() => {});
  return {
    worker,
    done,
    stop: async () => {
      await worker.terminate();
    },
  };
}
