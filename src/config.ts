import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './errors.js';

// The only module that reads the environment. Every setting is read once and
// validated here; a bad value throws ConfigError naming the variable, the
// value and what is allowed (main.ts prints it and exits with status 2).

export const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  host: string;
  convPort: number;
  /** null: ops port off (single-port mode). */
  opsPort: number | null;
  token: string | null;
  password: string | null;
  convRingBytes: number;
  opsRingBytes: number;
  outRingBytes: number;
  convMaxPayload: number;
  opsMaxPayload: number;
  /** `echo`, `openai`, or an absolute path to an agent module. */
  agent: string;
  logLevel: LogLevel;
  tickIntervalMs: number;
  handshakeTimeoutMs: number;
  opsRetention: number;
  historyLimit: number;
  taskThreads: number;
  /** OS nice value for the ops socket worker thread (Linux); 0 = unchanged. */
  opsNice: number;
  /** Outbound bytes held for a worker before the runtime stops taking ops work. */
  opsOutHighWater: number;
  openai: { apiKey: string | null; baseUrl: string; model: string };
}

export const DEFAULTS = {
  host: '127.0.0.1',
  convPort: 18789,
  convRingBytes: 1 << 20,
  opsRingBytes: 1 << 22,
  outRingBytes: 1 << 22,
  convMaxPayload: 1 << 20,
  opsMaxPayload: 1 << 24,
  agent: 'echo',
  logLevel: 'info' as LogLevel,
  tickIntervalMs: 30_000,
  handshakeTimeoutMs: 10_000,
  opsRetention: 100_000,
  historyLimit: 1_000,
  taskThreads: 1,
  opsNice: 0,
  opsOutHighWater: 1 << 22,
  openaiBaseUrl: 'https://api.openai.com/v1',
  openaiModel: 'gpt-4o-mini',
};

const RING_MIN = 1 << 16;
const RING_MAX = 1 << 30;

type Env = Record<string, string | undefined>;

/** The first of `names` that is set (not empty), with the name it came from. */
function pick(env: Env, ...names: string[]): [string, string] | null {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return [n, v];
  }
  return null;
}

function integer(env: Env, names: string[], dflt: number, min: number, max: number, what?: string): number {
  const got = pick(env, ...names);
  if (!got) return dflt;
  const [name, raw] = got;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, raw, what ?? `an integer from ${min} to ${max}`);
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(name, raw, what ?? `an integer from ${min} to ${max}`);
  return n;
}

function port(env: Env, names: string[], dflt: number): number;
function port(env: Env, names: string[], dflt: null): number | null;
function port(env: Env, names: string[], dflt: number | null): number | null {
  if (!pick(env, ...names)) return dflt;
  return integer(env, names, 0, 0, 65535, 'a TCP port from 0 to 65535 (0 picks a free port)');
}

function ringBytes(env: Env, name: string, dflt: number): number {
  const allowed = `a power of two from ${RING_MIN} (64 KiB) to ${RING_MAX} (1 GiB)`;
  const n = integer(env, [name], dflt, RING_MIN, RING_MAX, allowed);
  if ((n & (n - 1)) !== 0) throw new ConfigError(name, env[name]!, allowed);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], dflt: T): T {
  const got = pick(env, name);
  if (!got) return dflt;
  if (!(values as readonly string[]).includes(got[1])) throw new ConfigError(name, got[1], `one of ${values.join(', ')}`);
  return got[1] as T;
}

function agent(env: Env): string {
  const got = pick(env, 'LANEGATE_AGENT');
  if (!got) return DEFAULTS.agent;
  const v = got[1];
  if (v === 'echo' || v === 'openai') return v;
  const allowed = 'echo, openai, or the path of an existing agent module file (.js or .mjs)';
  const path = isAbsolute(v) ? v : resolve(v);
  if (!/\.(m?js)$/.test(path) || !existsSync(path) || !statSync(path).isFile()) throw new ConfigError('LANEGATE_AGENT', v, allowed);
  return path;
}

function host(env: Env): string {
  const got = pick(env, 'LANEGATE_HOST');
  if (!got) return DEFAULTS.host;
  const v = got[1];
  // A hostname or an IPv4/IPv6 literal; no scheme, port or path.
  if (!/^[A-Za-z0-9.\-:]+$/.test(v) || v.length > 253) throw new ConfigError('LANEGATE_HOST', v, 'a hostname or IP address such as 127.0.0.1, 0.0.0.0 or ::1');
  return v;
}

function url(env: Env, name: string, dflt: string): string {
  const got = pick(env, name);
  if (!got) return dflt;
  try {
    const u = new URL(got[1]);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(name, got[1], 'an http:// or https:// URL');
  }
  return got[1].replace(/\/+$/, '');
}

export function isLoopback(h: string): boolean {
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** Reads and validates every setting. Throws ConfigError on the first bad one. */
export function loadConfig(env: Env = {}): Config {
  const cfg: Config = {
    host: host(env),
    convPort: port(env, ['LANEGATE_CONV_PORT', 'OPENCLAW_GATEWAY_PORT'], DEFAULTS.convPort),
    opsPort: port(env, ['LANEGATE_OPS_PORT'], null),
    token: pick(env, 'LANEGATE_TOKEN', 'OPENCLAW_GATEWAY_TOKEN')?.[1] ?? null,
    password: pick(env, 'LANEGATE_PASSWORD', 'OPENCLAW_GATEWAY_PASSWORD')?.[1] ?? null,
    convRingBytes: ringBytes(env, 'LANEGATE_CONV_RING_BYTES', DEFAULTS.convRingBytes),
    opsRingBytes: ringBytes(env, 'LANEGATE_OPS_RING_BYTES', DEFAULTS.opsRingBytes),
    outRingBytes: ringBytes(env, 'LANEGATE_OUT_RING_BYTES', DEFAULTS.outRingBytes),
    convMaxPayload: integer(env, ['LANEGATE_CONV_MAX_PAYLOAD'], DEFAULTS.convMaxPayload, 1024, RING_MAX),
    opsMaxPayload: integer(env, ['LANEGATE_OPS_MAX_PAYLOAD'], DEFAULTS.opsMaxPayload, 1024, RING_MAX),
    agent: agent(env),
    logLevel: oneOf(env, 'LANEGATE_LOG_LEVEL', LOG_LEVELS, DEFAULTS.logLevel),
    tickIntervalMs: integer(env, ['LANEGATE_TICK_INTERVAL_MS'], DEFAULTS.tickIntervalMs, 100, 3_600_000),
    handshakeTimeoutMs: integer(env, ['LANEGATE_HANDSHAKE_TIMEOUT_MS'], DEFAULTS.handshakeTimeoutMs, 100, 600_000),
    opsRetention: integer(env, ['LANEGATE_OPS_RETENTION'], DEFAULTS.opsRetention, 1, 100_000_000),
    historyLimit: integer(env, ['LANEGATE_HISTORY_LIMIT'], DEFAULTS.historyLimit, 1, 1_000_000),
    taskThreads: integer(env, ['LANEGATE_TASK_THREADS'], DEFAULTS.taskThreads, 1, 256),
    opsNice: integer(env, ['LANEGATE_OPS_NICE'], DEFAULTS.opsNice, 0, 19),
    opsOutHighWater: integer(env, ['LANEGATE_OPS_OUT_HIGH_WATER'], DEFAULTS.opsOutHighWater, 1024, RING_MAX),
    openai: {
      apiKey: pick(env, 'OPENAI_API_KEY')?.[1] ?? null,
      baseUrl: url(env, 'LANEGATE_OPENAI_BASE_URL', DEFAULTS.openaiBaseUrl),
      model: pick(env, 'LANEGATE_OPENAI_MODEL')?.[1] ?? DEFAULTS.openaiModel,
    },
  };
  if (cfg.opsPort !== null && cfg.opsPort !== 0 && cfg.opsPort === cfg.convPort) {
    throw new ConfigError('LANEGATE_OPS_PORT', String(cfg.opsPort), `a port other than the conv port (${cfg.convPort})`);
  }
  if (!isLoopback(cfg.host) && cfg.token === null && cfg.password === null) {
    throw new ConfigError('LANEGATE_TOKEN', '', `required when LANEGATE_HOST (${cfg.host}) is not a loopback address`);
  }
  if (cfg.agent === 'openai' && cfg.openai.apiKey === null) {
    throw new ConfigError('OPENAI_API_KEY', '', 'required when LANEGATE_AGENT=openai');
  }
  return cfg;
}
