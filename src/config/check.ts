import { ConfigError } from '../errors.js';

// The checks every setting goes through, whether it came from the
// environment (a string) or from a `new Gateway(options)` object (a typed
// value). A failed check throws ConfigError naming where the value came
// from: the environment variable, or the option's path (`limits.conv.rate`).

/** What an error names for one setting, and what it shows instead of the value (a file's path, `[redacted]`). */
export interface Origin {
  name: string;
  shown?: string;
  /** Said before what is allowed: which part of a file-backed setting is at fault (`agents[1].id: `). */
  prefix?: string;
}

/** The origin of each setting, by option path. */
export type Origins = (path: string) => Origin;

export const optionOrigins: Origins = (path) => ({ name: path });

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'function') return '[function]';
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 200);
  } catch {
    return String(v);
  }
}

export function bad(at: Origin, value: unknown, allowed: string): never {
  throw new ConfigError(at.name, at.shown ?? show(value), `${at.prefix ?? ''}${allowed}`);
}

export const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** An integer from min to max; environment strings are digits only (no sign, exponent or fraction). */
export function integer(v: unknown, at: Origin, dflt: number, min: number, max: number, what?: string): number {
  if (!isSet(v)) return dflt;
  const allowed = what ?? `an integer from ${min} to ${max}`;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d+$/.test(v.trim())) n = Number(v.trim());
  else return bad(at, v, allowed);
  if (!Number.isSafeInteger(n) || n < min || n > max) bad(at, v, allowed);
  return n;
}

export function port(v: unknown, at: Origin, dflt: number): number;
export function port(v: unknown, at: Origin, dflt: null): number | null;
export function port(v: unknown, at: Origin, dflt: number | null): number | null {
  if (!isSet(v)) return dflt;
  return integer(v, at, 0, 0, 65535, 'a TCP port from 0 to 65535 (0 picks a free port)');
}

export const RING_MIN = 1 << 16;
export const RING_MAX = 1 << 30;

export function ringBytes(v: unknown, at: Origin, dflt: number): number {
  const allowed = `a power of two from ${RING_MIN} (64 KiB) to ${RING_MAX} (1 GiB)`;
  const n = integer(v, at, dflt, RING_MIN, RING_MAX, allowed);
  if ((n & (n - 1)) !== 0) bad(at, v, allowed);
  return n;
}

export function oneOf<T extends string>(v: unknown, at: Origin, values: readonly T[], dflt: T): T {
  if (!isSet(v)) return dflt;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) bad(at, v, `one of ${values.join(', ')}`);
  return v as T;
}

/** A non-empty string, or null when unset. */
export function text(v: unknown, at: Origin): string | null {
  if (!isSet(v)) return null;
  if (typeof v !== 'string') bad(at, v, 'a string');
  return v;
}

export function url(v: unknown, at: Origin, dflt: string): string {
  if (!isSet(v)) return dflt;
  const allowed = 'an http:// or https:// URL';
  if (typeof v !== 'string') bad(at, v, allowed);
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') bad(at, v, allowed);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    bad(at, v, allowed);
  }
  return v.replace(/\/+$/, '');
}

/** A list of strings: an array, or (from the environment) a comma list. Null when unset or empty. */
export function list(v: unknown, at: Origin): string[] | null {
  if (!isSet(v)) return null;
  const items = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : bad(at, v, 'a list of strings');
  const kept = items.map((x) => x.trim()).filter((x) => x !== '');
  return kept.length > 0 ? kept : null;
}

/** A plain object (or unset). */
export function object(v: unknown, at: Origin): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) bad(at, v, 'an object');
  return v as Record<string, unknown>;
}
