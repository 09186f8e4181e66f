// Coded errors. Every error lanegate raises on purpose carries a stable
// `code` so callers and tests branch on the code, never on the message.
// test/unit/errors.test.ts checks that each code is unique and has a row in
// the error code table of docs/operations.md.

export const ErrorCodes = {
  CONFIG: 'LANEGATE_ERR_CONFIG',
  RING_CAPACITY: 'LANEGATE_ERR_RING_CAPACITY',
  RECORD_TOO_LARGE: 'LANEGATE_ERR_RECORD_TOO_LARGE',
  RECORD_CORRUPT: 'LANEGATE_ERR_RECORD_CORRUPT',
  WORKER_START: 'LANEGATE_ERR_WORKER_START',
  WORKER_EXIT: 'LANEGATE_ERR_WORKER_EXIT',
  AGENT_LOAD: 'LANEGATE_ERR_AGENT_LOAD',
  NOT_STARTED: 'LANEGATE_ERR_NOT_STARTED',
  INVALID_ARGUMENT: 'LANEGATE_ERR_INVALID_ARGUMENT',
  REDIS_UNAVAILABLE: 'LANEGATE_ERR_REDIS_UNAVAILABLE',
  STATE_DIR: 'LANEGATE_ERR_STATE_DIR',
  STATE_LOCKED: 'LANEGATE_ERR_STATE_LOCKED',
  STATE_CORRUPT: 'LANEGATE_ERR_STATE_CORRUPT',
  STATE_WRITE: 'LANEGATE_ERR_STATE_WRITE',
  STATE_CLOSED: 'LANEGATE_ERR_STATE_CLOSED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class LanegateError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LanegateError';
    this.code = code;
  }
}

/** A bad setting. `variable` names the environment variable at fault. */
export class ConfigError extends LanegateError {
  readonly variable: string;
  constructor(variable: string, value: string, allowed: string) {
    super(ErrorCodes.CONFIG, `${variable}=${JSON.stringify(value)} is invalid: ${allowed}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/**
 * The state directory cannot be used: not creatable or writable, held by
 * another gateway, or holding a file lanegate cannot read back. Like a bad
 * setting, main.ts prints it as one line and exits with status 2, before
 * anything is written.
 */
export class StateError extends LanegateError {
  /** The file or directory at fault. */
  readonly path: string;
  constructor(code: ErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StateError';
    this.path = path;
  }
}

export function isLanegateError(err: unknown): err is LanegateError {
  return err instanceof LanegateError;
}
