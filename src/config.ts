import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
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
  /** OS nice value for the ops socket worker thread (Linux, dual-port mode); 0 = unchanged. */
  opsNice: number;
  /** Outbound bytes held for a worker before the runtime stops taking ops work. */
  opsOutHeadroom: number;
  /** Young-generation collections on one thread (serial) or with V8's helper threads (parallel). */
  scavenge: 'serial' | 'parallel';
  openai: { apiKey: string | null; baseUrl: string; model: string };
  /** JWT auth (an alternative to the shared token); null: off. */
  jwt: JwtConfig | null;
  /** Extra browser origins allowed to open a socket (normalized); `*` allows any. */
  allowedOrigins: string[];
  /** PEM text of the certificate and key: both ports serve wss:// and https://. */
  tls: { cert: string; key: string } | null;
  limits: Limits;
}

export interface JwtConfig {
  /** HS256 shared secret. */
  secret: string | null;
  /** SPKI PEM of an RSA (RS256) or EC P-256 (ES256) public key. */
  publicKeyPem: string | null;
  /** A JSON Web Key Set (RS256/ES256 keys). */
  jwks: { keys: Record<string, unknown>[] } | null;
  issuer: string | null;
  audience: string[] | null;
}

/** Limits of one port. Rates are messages per second; 0 turns the limit off. */
export interface PortLimits {
  rate: number;
  burst: number;
  maxConns: number;
  maxBufferedBytes: number;
}

export interface Limits {
  /** Largest frame accepted before `connect` succeeds. */
  preauthMaxPayload: number;
  conv: PortLimits;
  ops: PortLimits;
  /** Per client IP address (IPv6: per /64), on each port. 0 turns a limit off. */
  perIp: { maxConns: number; rate: number; burst: number };
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
  // Measured (docs/design-notes.md): a saturating flood on 2 cores costs a chat
  // ~30% less p99 with the ops thread at nice 10, for ~10% of ops throughput.
  opsNice: 10,
  opsOutHeadroom: 1 << 16,
  scavenge: 'serial' as const,
  openaiBaseUrl: 'https://api.openai.com/v1',
  openaiModel: 'gpt-4o-mini',
  preauthMaxPayload: 64 * 1024,
  convRate: 200,
  convRateBurst: 400,
  opsRate: 50_000,
  opsRateBurst: 100_000,
  convMaxConns: 10_000,
  opsMaxConns: 1_000,
  // OpenClaw's MAX_BUFFERED_BYTES, advertised in hello-ok policy.maxBufferedBytes.
  convMaxBufferedBytes: 50 * 1024 * 1024,
  opsMaxBufferedBytes: 16 * 1024 * 1024,
  maxConnsPerIp: 64,
  connRatePerIp: 20,
  connBurstPerIp: 40,
};

/** Shortest HS256 secret accepted: 256 bits, as RFC 7518 section 3.2 requires. */
export const JWT_SECRET_MIN_BYTES = 32;

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

/** A file's text; the error names the variable and the path, never the content. */
function fileText(env: Env, name: string, what: string): [string, string] | null {
  const got = pick(env, name);
  if (!got) return null;
  const path = isAbsolute(got[1]) ? got[1] : resolve(got[1]);
  try {
    return [got[1], readFileSync(path, 'utf8')];
  } catch {
    throw new ConfigError(name, got[1], `the path of a readable file holding ${what}`);
  }
}

function jwtPublicKey(env: Env): string | null {
  const name = 'LANEGATE_JWT_PUBLIC_KEY';
  const what = 'a PEM RSA public key (RS256) or EC P-256 public key (ES256)';
  const got = fileText(env, name, what);
  if (!got) return null;
  let key: KeyObject;
  try {
    key = createPublicKey(got[1]);
  } catch {
    throw new ConfigError(name, got[0], `the path of a file holding ${what}`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'rsa' && !(key.asymmetricKeyType === 'ec' && curve === 'prime256v1')) {
    throw new ConfigError(name, got[0], `${what}; this file holds a ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''} key`);
  }
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

function jwks(env: Env): JwtConfig['jwks'] {
  const name = 'LANEGATE_JWT_JWKS';
  const what = 'a JSON Web Key Set {"keys":[...]} of RSA or EC P-256 public keys';
  const got = fileText(env, name, what);
  if (!got) return null;
  let set: unknown;
  try {
    set = JSON.parse(got[1]);
  } catch {
    throw new ConfigError(name, got[0], what);
  }
  const keys = (set as { keys?: unknown }).keys;
  const ok =
    Array.isArray(keys) &&
    keys.length > 0 &&
    keys.every((k) => typeof k === 'object' && k !== null && ((k as { kty?: unknown }).kty === 'RSA' || ((k as { kty?: unknown }).kty === 'EC' && (k as { crv?: unknown }).crv === 'P-256')));
  // A private member ("d") in the set means a secret was put where public keys belong.
  if (!ok || keys.some((k) => 'd' in (k as object))) throw new ConfigError(name, got[0], what);
  return { keys: keys as Record<string, unknown>[] };
}

function list(env: Env, name: string): string[] | null {
  const got = pick(env, name);
  if (!got) return null;
  const items = got[1]
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  return items.length > 0 ? items : null;
}

function jwt(env: Env): JwtConfig | null {
  const secretGot = pick(env, 'LANEGATE_JWT_SECRET');
  // Never echo a secret, not even a bad one: the error shows a placeholder.
  if (secretGot && Buffer.byteLength(secretGot[1]) < JWT_SECRET_MIN_BYTES) {
    throw new ConfigError('LANEGATE_JWT_SECRET', '[redacted]', `at least ${JWT_SECRET_MIN_BYTES} bytes (HS256 needs a 256-bit secret)`);
  }
  const cfg: JwtConfig = {
    secret: secretGot?.[1] ?? null,
    publicKeyPem: jwtPublicKey(env),
    jwks: jwks(env),
    issuer: pick(env, 'LANEGATE_JWT_ISSUER')?.[1] ?? null,
    audience: list(env, 'LANEGATE_JWT_AUDIENCE'),
  };
  const sources = [cfg.secret, cfg.publicKeyPem, cfg.jwks].filter((x) => x !== null).length;
  if (sources > 1) {
    const second = cfg.jwks !== null ? 'LANEGATE_JWT_JWKS' : 'LANEGATE_JWT_PUBLIC_KEY';
    throw new ConfigError(second, pick(env, second)![1], 'only one of LANEGATE_JWT_SECRET, LANEGATE_JWT_PUBLIC_KEY and LANEGATE_JWT_JWKS may be set');
  }
  if (sources === 0) {
    for (const n of ['LANEGATE_JWT_ISSUER', 'LANEGATE_JWT_AUDIENCE']) {
      const g = pick(env, n);
      if (g) throw new ConfigError(n, g[1], 'set only with LANEGATE_JWT_SECRET, LANEGATE_JWT_PUBLIC_KEY or LANEGATE_JWT_JWKS');
    }
    return null;
  }
  return cfg;
}

function origins(env: Env): string[] {
  const name = 'LANEGATE_ALLOWED_ORIGINS';
  const items = list(env, name) ?? [];
  const allowed = 'a comma list of origins such as https://chat.example.com,http://localhost:5173 (scheme, host and optional port; no path), or *';
  return items.map((o) => {
    if (o === '*') return o;
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      throw new ConfigError(name, o, allowed);
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username) {
      throw new ConfigError(name, o, allowed);
    }
    return u.origin;
  });
}

function tls(env: Env): Config['tls'] {
  const cert = fileText(env, 'LANEGATE_TLS_CERT', 'a PEM certificate (chain)');
  const key = fileText(env, 'LANEGATE_TLS_KEY', 'a PEM private key');
  if (!cert && !key) return null;
  if (!cert) throw new ConfigError('LANEGATE_TLS_CERT', '', 'required when LANEGATE_TLS_KEY is set');
  if (!key) throw new ConfigError('LANEGATE_TLS_KEY', '', 'required when LANEGATE_TLS_CERT is set');
  try {
    new X509Certificate(cert[1]);
  } catch {
    throw new ConfigError('LANEGATE_TLS_CERT', cert[0], 'the path of a PEM certificate (chain)');
  }
  try {
    // Fails on an unreadable key, or a key that does not match the certificate.
    createSecureContext({ cert: cert[1], key: key[1] });
  } catch {
    throw new ConfigError('LANEGATE_TLS_KEY', key[0], 'the path of a PEM private key (unencrypted) matching the certificate in LANEGATE_TLS_CERT');
  }
  return { cert: cert[1], key: key[1] };
}

function limits(env: Env): Limits {
  const port = (p: 'CONV' | 'OPS', d: { rate: number; burst: number; maxConns: number; maxBuffered: number }): PortLimits => ({
    rate: integer(env, [`LANEGATE_${p}_RATE`], d.rate, 0, 10_000_000),
    burst: integer(env, [`LANEGATE_${p}_RATE_BURST`], d.burst, 1, 100_000_000),
    maxConns: integer(env, [`LANEGATE_${p}_MAX_CONNS`], d.maxConns, 1, 1_000_000),
    maxBufferedBytes: integer(env, [`LANEGATE_${p}_MAX_BUFFERED_BYTES`], d.maxBuffered, 1024, RING_MAX),
  });
  return {
    preauthMaxPayload: integer(env, ['LANEGATE_PREAUTH_MAX_PAYLOAD'], DEFAULTS.preauthMaxPayload, 1024, 1 << 20),
    conv: port('CONV', { rate: DEFAULTS.convRate, burst: DEFAULTS.convRateBurst, maxConns: DEFAULTS.convMaxConns, maxBuffered: DEFAULTS.convMaxBufferedBytes }),
    ops: port('OPS', { rate: DEFAULTS.opsRate, burst: DEFAULTS.opsRateBurst, maxConns: DEFAULTS.opsMaxConns, maxBuffered: DEFAULTS.opsMaxBufferedBytes }),
    perIp: {
      maxConns: integer(env, ['LANEGATE_MAX_CONNS_PER_IP'], DEFAULTS.maxConnsPerIp, 0, 1_000_000),
      rate: integer(env, ['LANEGATE_CONN_RATE_PER_IP'], DEFAULTS.connRatePerIp, 0, 1_000_000),
      burst: integer(env, ['LANEGATE_CONN_BURST_PER_IP'], DEFAULTS.connBurstPerIp, 1, 1_000_000),
    },
  };
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
    opsOutHeadroom: integer(env, ['LANEGATE_OPS_OUT_HEADROOM'], DEFAULTS.opsOutHeadroom, 1024, RING_MAX),
    scavenge: oneOf(env, 'LANEGATE_SCAVENGE', ['serial', 'parallel'] as const, DEFAULTS.scavenge),
    openai: {
      apiKey: pick(env, 'OPENAI_API_KEY')?.[1] ?? null,
      baseUrl: url(env, 'LANEGATE_OPENAI_BASE_URL', DEFAULTS.openaiBaseUrl),
      model: pick(env, 'LANEGATE_OPENAI_MODEL')?.[1] ?? DEFAULTS.openaiModel,
    },
    jwt: jwt(env),
    allowedOrigins: origins(env),
    tls: tls(env),
    limits: limits(env),
  };
  if (cfg.opsPort !== null && cfg.opsPort !== 0 && cfg.opsPort === cfg.convPort) {
    throw new ConfigError('LANEGATE_OPS_PORT', String(cfg.opsPort), `a port other than the conv port (${cfg.convPort})`);
  }
  if (!isLoopback(cfg.host) && cfg.token === null && cfg.password === null && cfg.jwt === null) {
    throw new ConfigError('LANEGATE_TOKEN', '', `required when LANEGATE_HOST (${cfg.host}) is not a loopback address (or LANEGATE_PASSWORD, or LANEGATE_JWT_SECRET / _PUBLIC_KEY / _JWKS)`);
  }
  if (cfg.agent === 'openai' && cfg.openai.apiKey === null) {
    throw new ConfigError('OPENAI_API_KEY', '', 'required when LANEGATE_AGENT=openai');
  }
  return cfg;
}
