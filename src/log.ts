import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * One pino logger per thread, writing JSON lines straight to stdout's file
 * descriptor (workers too: no hop through the main thread). Secrets are
 * never passed to a logger; `redact` is a second guard for auth fields.
 */
export function createLogger(level: LogLevel, thread: string): Logger {
  return pino(
    {
      level,
      base: { thread },
      redact: { paths: ['token', 'password', '*.token', '*.password', 'auth.*'], censor: '[redacted]' },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
