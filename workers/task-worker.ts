// Piscina task runner: sub-agent and cron work runs here, off the main
// thread. The example task does about `workMs` milliseconds of real CPU work
// (a SHA-256 chain), standing in for a sub-agent's tool calls or model I/O.

import { createHash } from 'node:crypto';

export interface TaskInput {
  label: string;
  workMs: number;
}

export interface TaskOutput {
  label: string;
  workMs: number;
  elapsedMs: number;
  rounds: number;
  digest: string;
}

export default function run(task: TaskInput): TaskOutput {
  const start = performance.now();
  let digest = createHash('sha256').update(task.label).digest();
  let rounds = 0;
  // Bounded by the requested work time, checked every 256 rounds.
  while (performance.now() - start < task.workMs || rounds === 0) {
    for (let i = 0; i < 256; i++) digest = createHash('sha256').update(digest).digest();
    rounds += 256;
  }
  return { label: task.label, workMs: task.workMs, elapsedMs: Math.round((performance.now() - start) * 100) / 100, rounds, digest: digest.toString('hex').slice(0, 16) };
}
