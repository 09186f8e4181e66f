// Process-wide V8 settings from the configuration. `node dist/main.js`
// applies them at start; a program embedding lanegate calls
// applyV8Settings(config) itself if it wants them (they affect its whole
// process, not only the gateway).

import { setFlagsFromString } from 'node:v8';
import type { Config } from './config.js';

/**
 * Young-generation collections serial or parallel. V8 reads the flag at
 * every scavenge, so setting it after start covers every thread from the
 * next collection on. Serial is the default because every chat waits while
 * the runtime's thread collects, and on a busy 2-core machine a parallel
 * scavenge waits for helper threads that wait for a core (docs/architecture.md).
 */
export function applyV8Settings(config: Pick<Config, 'scavenge'>): void {
  setFlagsFromString(config.scavenge === 'serial' ? '--no-parallel-scavenge' : '--parallel-scavenge');
}
