import { Piscina } from 'piscina';
import type { TaskSpec } from '../agents/types.js';

export interface TaskResult {
  label: string;
  workMs: number;
  elapsedMs: number;
  rounds: number;
  digest: string;
}

/**
 * The task pool (piscina): sub-agent and cron work runs on its threads so
 * the main thread only sees results, which enter the runtime on the ops lane.
 */
export class TaskPool {
  readonly #pool: Piscina;

  constructor(threads: number) {
    this.#pool = new Piscina({
      filename: new URL('../../workers/task-worker.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 5_000,
    });
  }

  run(task: TaskSpec): Promise<TaskResult> {
    return this.#pool.run({ label: task.label, workMs: task.workMs }) as Promise<TaskResult>;
  }

  get queued(): number {
    return this.#pool.queueSize;
  }

  get completed(): number {
    return this.#pool.completed;
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }
}
