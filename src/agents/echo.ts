import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Agent, AgentContext } from './types.js';

/** Deltas an echoed reply is split into (at most). */
const PIECES = 4;
const MAX_SPAWN = 1000;
const MAX_SPAWN_MS = 60_000;

/** Parses `/spawn N [ms]`; null when the text is not that command. */
export function parseSpawn(text: string): { n: number; ms: number } | { error: string } | null {
  const m = /^\/spawn(?:\s+(\S+))?(?:\s+(\S+))?\s*$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1] ?? '1');
  const ms = Number(m[2] ?? '50');
  if (!Number.isInteger(n) || n < 1 || n > MAX_SPAWN) return { error: `usage: /spawn N [ms] with N from 1 to ${MAX_SPAWN}` };
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_SPAWN_MS) return { error: `usage: /spawn N [ms] with ms from 0 to ${MAX_SPAWN_MS}` };
  return { n, ms };
}

/**
 * The embedded default agent: streams the user's text back in a few
 * deltas, one event-loop turn apart (so the reply really streams), and runs
 * `/spawn N [ms]` as N sub-agent tasks of about `ms` CPU milliseconds each.
 */
export function createEchoAgent(): Agent {
  return {
    id: 'echo',
    name: 'Echo',
    commands: [{ name: 'spawn', description: 'Start N sub-agent tasks of about ms milliseconds of work each: /spawn N [ms]', acceptsArgs: true }],
    async reply(ctx: AgentContext): Promise<void> {
      const spawn = parseSpawn(ctx.message);
      if (spawn && 'error' in spawn) {
        ctx.delta(spawn.error);
        return;
      }
      if (spawn) {
        const tasks = Array.from({ length: spawn.n }, (_, i) => ({ label: `subagent ${i + 1}/${spawn.n}`, workMs: spawn.ms }));
        ctx.spawn(tasks);
        ctx.delta(`Spawned ${spawn.n} sub-agent${spawn.n === 1 ? '' : 's'} (about ${spawn.ms} ms of work each); results arrive on the ops lane.`);
        return;
      }
      const text = ctx.message;
      const size = Math.max(1, Math.ceil(text.length / PIECES));
      for (let at = 0; at < text.length; at += size) {
        if (ctx.signal.aborted) return;
        ctx.delta(text.slice(at, at + size));
        if (at + size < text.length) await nextTurn();
      }
    },
  };
}
