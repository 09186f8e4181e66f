// Small parameter checks. Hand-written rather than a schema validator: the
// socket workers check a handful of fields on every frame, and a direct
// check gives the exact OpenClaw-style message ("chat.send: sessionKey must
// be a non-empty string") without compiling a 3.5 MB schema in each worker.
// Unknown fields pass: newer clients send fields this gateway ignores.

export type Params = Record<string, unknown>;
/** Returns an error message, or null when the value is fine. */
export type Check = (p: Params) => string | null;

export function isObject(v: unknown): v is Params {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(name: string, opt: { min?: number; max?: number; optional?: boolean } = {}): Check {
  const min = opt.min ?? 1;
  const max = opt.max ?? 4096;
  return (p) => {
    const v = p[name];
    if (v === undefined && opt.optional) return null;
    if (typeof v !== 'string') return `${name} must be a string`;
    if (v.length < min) return min === 1 ? `${name} must be a non-empty string` : `${name} must have at least ${min} characters`;
    if (v.length > max) return `${name} must have at most ${max} characters`;
    return null;
  };
}

/** A string of any length (message bodies: the frame size cap bounds them). */
export function text(name: string, opt: { nonEmpty?: boolean; optional?: boolean } = {}): Check {
  return (p) => {
    const v = p[name];
    if (v === undefined && opt.optional) return null;
    if (typeof v !== 'string') return `${name} must be a string`;
    if (opt.nonEmpty && v.length === 0) return `${name} must be a non-empty string`;
    return null;
  };
}

export function int(name: string, opt: { min?: number; max?: number; optional?: boolean } = {}): Check {
  const min = opt.min ?? 0;
  const max = opt.max ?? Number.MAX_SAFE_INTEGER;
  return (p) => {
    const v = p[name];
    if (v === undefined && opt.optional) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return `${name} must be an integer from ${min} to ${max}`;
    return null;
  };
}

export function bool(name: string, opt: { optional?: boolean } = {}): Check {
  return (p) => {
    const v = p[name];
    if (v === undefined && opt.optional) return null;
    return typeof v === 'boolean' ? null : `${name} must be a boolean`;
  };
}

export function oneOf(name: string, values: readonly string[], opt: { optional?: boolean } = {}): Check {
  return (p) => {
    const v = p[name];
    if (v === undefined && opt.optional) return null;
    return typeof v === 'string' && values.includes(v) ? null : `${name} must be one of ${values.join(', ')}`;
  };
}

export function listOf(name: string, values: readonly string[], opt: { optional?: boolean } = {}): Check {
  return (p) => {
    const v = p[name];
    if (v === undefined && opt.optional) return null;
    if (!Array.isArray(v) || v.length === 0 || v.length > values.length) return `${name} must be a non-empty list of ${values.join(', ')}`;
    return v.every((x) => typeof x === 'string' && values.includes(x)) ? null : `${name} must contain only ${values.join(', ')}`;
  };
}

export function present(name: string): Check {
  return (p) => (p[name] === undefined ? `${name} is required` : null);
}

/** Runs checks in order; the first failure wins. */
export function all(...checks: Check[]): Check {
  return (p) => {
    for (const c of checks) {
      const m = c(p);
      if (m) return m;
    }
    return null;
  };
}
