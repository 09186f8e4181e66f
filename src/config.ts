import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Agent } from './agents/types.js';
import { agentList, OPENAI_DEFAULTS, openaiConfig, singleAgent, type AgentConfig, type OpenAIConfig } from './config/agents.js';
import { bad, integer, isSet, object, oneOf, optionOrigins, port, ringBytes, RING_MAX, text, type Origin, type Origins } from './config/check.js';
import { redisConfig, type RedisConfig } from './config/redis.js';
import { jwt, origins, tls, type JwtConfig } from './config/security.js';
import { ConfigError } from './errors.js';
import type { OpsLog } from './state/ops-log.js';

// The one validator of every setting. `new Gateway(options)` hands it an
// options object; `node dist/main.js` maps the environment onto the same
// options (loadConfig below: this is the only module that reads it) and
// hands them over too. A bad value throws ConfigError naming where it came
// from (the variable, or the option's path), the value and what is allowed;
// main.ts prints it and exits with status 2.

export const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const FSYNC_MODES = ['always', 'everysec', 'no'] as const;
export type FsyncMode = (typeof FSYNC_MODES)[number];
/** LANEGATE_STATE_DIR's value for "keep nothing". */
export const MEMORY_STATE = ':memory:';

export type { AgentConfig, OpenAIConfig } from './config/agents.js';
export type { JwtConfig } from './config/security.js';
export type { RedisConfig } from './config/redis.js';
export { JWT_SECRET_MIN_BYTES } from './config/security.js';
export { MAIN_AGENT_ID } from './config/agents.js';

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
  /** The agents, the default first (session keys without an `agent:<id>:` prefix go to it). */
  agents: AgentConfig[];
  logLevel: LogLevel;
  tickIntervalMs: number;
  handshakeTimeoutMs: number;
  /** Absolute path of the state directory; null for `:memory:` (nothing kept across restarts). */
  stateDir: string | null;
  /** What an ops.deliver ack means: fsynced (always), written to the OS (everysec, fsync once a second), or written (no). */
  fsync: FsyncMode;
  /** Ops log retention: entries, bytes (0 = no byte limit) and age in ms (0 = no age limit), whichever is reached first. */
  opsRetention: number;
  opsRetentionBytes: number;
  opsRetentionMs: number;
  /** A session without activity this long leaves memory (its transcript stays on disk); 0 = never. */
  sessionIdleMs: number;
  historyLimit: number;
  taskThreads: number;
  /** OS nice value for the ops socket worker thread (Linux, dual-port mode); 0 = unchanged. */
  opsNice: number;
  /** Outbound bytes held for a worker before the runtime stops taking ops work. */
  opsOutHeadroom: number;
  /** permessage-deflate on the ops port; the conv port never compresses. */
  opsDeflate: DeflateConfig;
  /** Young-generation collections on one thread (serial) or with V8's helper threads (parallel). */
  scavenge: 'serial' | 'parallel';
  /** Client settings every openai agent starts from. */
  openai: OpenAIConfig;
  /** JWT auth (an alternative to the shared token); null: off. */
  jwt: JwtConfig | null;
  /** Extra browser origins allowed to open a socket (normalized); `*` allows any. */
  allowedOrigins: string[];
  /** PEM text of the certificate and key: both ports serve wss:// and https://. */
  tls: { cert: string; key: string } | null;
  limits: Limits;
  /** An ops log given by an embedding program; null: the gateway makes its own. */
  opsLog: OpsLog | null;
  /** Scale-out: instances on one Redis share the ops log and chat sessions; null: off. */
  redis: RedisConfig | null;
}

export interface DeflateConfig {
  /** `on`: offered to ops clients that ask for it (Sec-WebSocket-Extensions). */
  mode: 'off' | 'on';
  /** Frames shorter than this are sent uncompressed. */
  threshold: number;
  /** zlib level, 1 (fastest) .. 9 (smallest). */
  level: number;
  /** zlib memLevel, 1 .. 9: memory for the compressor's state (and speed). */
  memLevel: number;
  /** zlib jobs in flight at once in the ops worker (zlib runs on libuv's thread pool). */
  concurrency: number;
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

type Deep<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? Deep<T[K]> : T[K] };

/** One entry of `agents`: an id, and one of `echo`, `openai` (settings over the top-level ones), `module` or `agent`. */
export interface AgentOption {
  id: string;
  name?: string;
  /** Bare session keys go to this one (default: the first). */
  default?: boolean;
  echo?: true;
  openai?: Partial<OpenAIConfig>;
  /** Path of a module whose default export is createAgent(options). */
  module?: string;
  /** Passed to the module's createAgent as `options.options`. */
  options?: Record<string, unknown>;
  agent?: Agent;
}

/**
 * What `new Gateway(options)` takes: every setting the environment has,
 * under the names of `Config` (nested where Config nests), plus what only a
 * program can hand over (an Agent object, an OpsLog). TLS and JWT keys are
 * PEM/JSON text here (the environment names files).
 */
export interface GatewayOptions extends Deep<Omit<Config, 'agents' | 'openai' | 'jwt' | 'tls' | 'limits' | 'opsLog'>> {
  /** `echo`, `openai`, a module path, or an Agent object: the one-agent shorthand. */
  agent?: string | Agent;
  agents?: AgentOption[];
  openai?: Partial<OpenAIConfig>;
  jwt?: Partial<Omit<JwtConfig, 'jwks'>> & { jwks?: JwtConfig['jwks'] | string };
  tls?: { cert: string; key: string } | null;
  limits?: Deep<Limits>;
  opsLog?: OpsLog;
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
  /** ~/.lanegate, as OpenClaw keeps ~/.openclaw. */
  stateDir: join(homedir(), '.lanegate'),
  fsync: 'always' as FsyncMode,
  opsRetention: 100_000,
  // The retained window is kept in memory as well as on disk (replays and
  // idempotency lookups never read the disk), so the byte limit bounds both.
  opsRetentionBytes: 256 * 1024 * 1024,
  opsRetentionMs: 7 * 24 * 3600 * 1000,
  sessionIdleMs: 10 * 60 * 1000,
  historyLimit: 1_000,
  taskThreads: 1,
  // Measured (docs/design-notes.md): a saturating flood on 2 cores costs a chat
  // ~30% less p99 with the ops thread at nice 10, for ~10% of ops throughput.
  opsNice: 10,
  opsOutHeadroom: 1 << 16,
  scavenge: 'serial' as const,
  // Measured (docs/design-notes.md): level 1 costs about half the CPU of
  // level 3 for 7% more bytes; acks and small events are not worth zlib's time.
  opsDeflate: { mode: 'off', threshold: 16 * 1024, level: 1, memLevel: 8, concurrency: 2 } as DeflateConfig,
  openaiBaseUrl: OPENAI_DEFAULTS.baseUrl,
  openaiModel: OPENAI_DEFAULTS.model,
  openai: OPENAI_DEFAULTS,
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

export function isLoopback(h: string): boolean {
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

function host(v: unknown, at: Origin): string {
  if (!isSet(v)) return DEFAULTS.host;
  // A hostname or an IPv4/IPv6 literal; no scheme, port or path.
  if (typeof v !== 'string' || !/^[A-Za-z0-9.\-:]+$/.test(v) || v.length > 253) bad(at, v, 'a hostname or IP address such as 127.0.0.1, 0.0.0.0 or ::1');
  return v;
}

function limits(v: unknown, at: Origins): Limits {
  const l = object(v, at('limits'));
  const port = (p: 'conv' | 'ops', d: { rate: number; burst: number; maxConns: number; maxBuffered: number }): PortLimits => {
    const o = object(l[p], at(`limits.${p}`));
    const a = (k: string): Origin => at(`limits.${p}.${k}`);
    return {
      rate: integer(o.rate, a('rate'), d.rate, 0, 10_000_000),
      burst: integer(o.burst, a('burst'), d.burst, 1, 100_000_000),
      maxConns: integer(o.maxConns, a('maxConns'), d.maxConns, 1, 1_000_000),
      maxBufferedBytes: integer(o.maxBufferedBytes, a('maxBufferedBytes'), d.maxBuffered, 1024, RING_MAX),
    };
  };
  const ip = object(l.perIp, at('limits.perIp'));
  return {
    preauthMaxPayload: integer(l.preauthMaxPayload, at('limits.preauthMaxPayload'), DEFAULTS.preauthMaxPayload, 1024, 1 << 20),
    conv: port('conv', { rate: DEFAULTS.convRate, burst: DEFAULTS.convRateBurst, maxConns: DEFAULTS.convMaxConns, maxBuffered: DEFAULTS.convMaxBufferedBytes }),
    ops: port('ops', { rate: DEFAULTS.opsRate, burst: DEFAULTS.opsRateBurst, maxConns: DEFAULTS.opsMaxConns, maxBuffered: DEFAULTS.opsMaxBufferedBytes }),
    perIp: {
      maxConns: integer(ip.maxConns, at('limits.perIp.maxConns'), DEFAULTS.maxConnsPerIp, 0, 1_000_000),
      rate: integer(ip.rate, at('limits.perIp.rate'), DEFAULTS.connRatePerIp, 0, 1_000_000),
      burst: integer(ip.burst, at('limits.perIp.burst'), DEFAULTS.connBurstPerIp, 1, 1_000_000),
    },
  };
}

function deflate(v: unknown, at: Origins): DeflateConfig {
  const o = object(v, at('opsDeflate'));
  const d = DEFAULTS.opsDeflate;
  const a = (k: string): Origin => at(`opsDeflate.${k}`);
  return {
    mode: oneOf(o.mode, a('mode'), ['off', 'on'] as const, d.mode),
    threshold: integer(o.threshold, a('threshold'), d.threshold, 0, RING_MAX),
    level: integer(o.level, a('level'), d.level, 1, 9),
    memLevel: integer(o.memLevel, a('memLevel'), d.memLevel, 1, 9),
    concurrency: integer(o.concurrency, a('concurrency'), d.concurrency, 1, 64),
  };
}

function opsLog(v: unknown, at: Origin): OpsLog | null {
  if (v === undefined || v === null) return null;
  const l = v as Partial<OpsLog>;
  const ok =
    typeof l.append === 'function' &&
    typeof l.readAfter === 'function' &&
    typeof l.sync === 'function' &&
    typeof l.close === 'function' &&
    typeof l.feed?.subscribe === 'function' &&
    typeof l.epoch === 'string' &&
    typeof l.headSeq === 'number' &&
    typeof l.firstSeq === 'number';
  if (!ok) bad(at, '[object]', 'an OpsLog (src/state/ops-log.ts): append(entry) and readAfter(seq, max) returning promises, sync(), close(), feed.subscribe(listener), epoch, headSeq, firstSeq');
  return v as OpsLog;
}

/** A directory path (relative to the working directory), or `:memory:` / null: keep nothing. */
function stateDir(v: unknown, at: Origin): string | null {
  if (v === null || v === MEMORY_STATE) return null;
  if (!isSet(v)) return DEFAULTS.stateDir;
  if (typeof v !== 'string' || v.includes('\0')) bad(at, v, `a directory path, or ${MEMORY_STATE} to keep nothing`);
  return absolute(v);
}

/** 0 (off), or an integer from min to max. */
function zeroOr(v: unknown, at: Origin, dflt: number, min: number, max: number, what: string): number {
  const n = integer(v, at, dflt, 0, max, what);
  if (n !== 0 && n < min) bad(at, v, what);
  return n;
}

/**
 * Validates gateway options (every field optional) into a Config. Throws
 * ConfigError on the first bad one. `at` says where each option came from
 * (loadConfig passes the environment's variable names).
 */
export function resolveConfig(options: GatewayOptions | Config = {}, at: Origins = optionOrigins): Config {
  if (isConfig(options)) return options;
  const o = object(options, { name: 'options' });
  const openai = openaiConfig(o.openai, at, 'openai', null);
  if (isSet(o.agent) && o.agents !== undefined) bad(at('agent'), o.agent, `unset when ${at('agents').name} declares the agents`);
  const cfg: Config = {
    host: host(o.host, at('host')),
    convPort: port(o.convPort, at('convPort'), DEFAULTS.convPort),
    opsPort: port(o.opsPort, at('opsPort'), null),
    token: text(o.token, { ...at('token'), shown: '[redacted]' }),
    password: text(o.password, { ...at('password'), shown: '[redacted]' }),
    convRingBytes: ringBytes(o.convRingBytes, at('convRingBytes'), DEFAULTS.convRingBytes),
    opsRingBytes: ringBytes(o.opsRingBytes, at('opsRingBytes'), DEFAULTS.opsRingBytes),
    outRingBytes: ringBytes(o.outRingBytes, at('outRingBytes'), DEFAULTS.outRingBytes),
    convMaxPayload: integer(o.convMaxPayload, at('convMaxPayload'), DEFAULTS.convMaxPayload, 1024, RING_MAX),
    opsMaxPayload: integer(o.opsMaxPayload, at('opsMaxPayload'), DEFAULTS.opsMaxPayload, 1024, RING_MAX),
    agents: o.agents !== undefined ? agentList(o.agents, at, openai) : [singleAgent(o.agent, at, openai)],
    logLevel: oneOf(o.logLevel, at('logLevel'), LOG_LEVELS, DEFAULTS.logLevel),
    tickIntervalMs: integer(o.tickIntervalMs, at('tickIntervalMs'), DEFAULTS.tickIntervalMs, 100, 3_600_000),
    handshakeTimeoutMs: integer(o.handshakeTimeoutMs, at('handshakeTimeoutMs'), DEFAULTS.handshakeTimeoutMs, 100, 600_000),
    stateDir: stateDir(o.stateDir, at('stateDir')),
    fsync: oneOf(o.fsync, at('fsync'), FSYNC_MODES, DEFAULTS.fsync),
    opsRetention: integer(o.opsRetention, at('opsRetention'), DEFAULTS.opsRetention, 1, 100_000_000),
    opsRetentionBytes: zeroOr(o.opsRetentionBytes, at('opsRetentionBytes'), DEFAULTS.opsRetentionBytes, 65536, 2 ** 40, `0 (no byte limit) or a byte count from 65536 to ${2 ** 40}`),
    opsRetentionMs: zeroOr(o.opsRetentionMs, at('opsRetentionMs'), DEFAULTS.opsRetentionMs, 1, 10 * 365 * 24 * 3600 * 1000, '0 (no age limit) or milliseconds up to ten years'),
    sessionIdleMs: zeroOr(o.sessionIdleMs, at('sessionIdleMs'), DEFAULTS.sessionIdleMs, 1000, 2 ** 31 - 1, `0 (sessions never leave memory) or milliseconds from 1000 to ${2 ** 31 - 1}`),
    historyLimit: integer(o.historyLimit, at('historyLimit'), DEFAULTS.historyLimit, 1, 1_000_000),
    taskThreads: integer(o.taskThreads, at('taskThreads'), DEFAULTS.taskThreads, 1, 256),
    opsNice: integer(o.opsNice, at('opsNice'), DEFAULTS.opsNice, 0, 19),
    opsOutHeadroom: integer(o.opsOutHeadroom, at('opsOutHeadroom'), DEFAULTS.opsOutHeadroom, 1024, RING_MAX),
    opsDeflate: deflate(o.opsDeflate, at),
    scavenge: oneOf(o.scavenge, at('scavenge'), ['serial', 'parallel'] as const, DEFAULTS.scavenge),
    openai,
    jwt: jwt(o.jwt, at),
    allowedOrigins: origins(o.allowedOrigins, at),
    tls: tls(o.tls, at),
    limits: limits(o.limits, at),
    opsLog: opsLog(o.opsLog, at('opsLog')),
    redis: redisConfig(o.redis, at),
  };
  if (cfg.opsPort !== null && cfg.opsPort !== 0 && cfg.opsPort === cfg.convPort) {
    bad(at('opsPort'), String(cfg.opsPort), `a port other than the conv port (${cfg.convPort})`);
  }
  // The runtime takes ops work only while every outbound ops ring has this
  // much free: a headroom the ring can never have would stop ops for good.
  if (cfg.opsOutHeadroom >= cfg.outRingBytes) {
    bad(at('opsOutHeadroom'), String(cfg.opsOutHeadroom), `an integer from 1024 to ${cfg.outRingBytes - 1} (less than ${at('outRingBytes').name}, ${cfg.outRingBytes})`);
  }
  if (!isLoopback(cfg.host) && cfg.token === null && cfg.password === null && cfg.jwt === null) {
    const names = `${at('password').name}, or ${at('jwt.secret').name} / ${at('jwt.publicKeyPem').name} / ${at('jwt.jwks').name}`;
    bad({ name: at('token').name }, '', `required when ${at('host').name} (${cfg.host}) is not a loopback address (or ${names})`);
  }
  // Every option is a Config field (agent and agents become `agents`): anything else is a typo.
  const known = [...Object.keys(cfg).filter((k) => k !== 'agents'), 'agent', 'agents'];
  for (const k of Object.keys(o)) if (!known.includes(k) && o[k] !== undefined) bad({ name: k }, o[k], `a known option (${known.join(', ')})`);
  resolved.add(cfg);
  return cfg;
}

/** Configs this module made: handing one back to resolveConfig (new Gateway(loadConfig(env))) does not check it twice. */
const resolved = new WeakSet<object>();

export function isConfig(v: unknown): v is Config {
  return typeof v === 'object' && v !== null && resolved.has(v);
}

// ---------------------------------------------------------------- environment

type Env = Record<string, string | undefined>;

/**
 * Each plain variable and the option it sets; the first set name of a row
 * wins (OpenClaw's names are aliases). A new setting is a field of Config
 * and GatewayOptions, its check in resolveConfig, and a row here (or in
 * ENV_FILES when the variable names a file); config-doc.test.ts then asks
 * for its README row.
 */
const ENV: [path: string, ...names: string[]][] = [
  ['host', 'LANEGATE_HOST'],
  ['convPort', 'LANEGATE_CONV_PORT', 'OPENCLAW_GATEWAY_PORT'],
  ['opsPort', 'LANEGATE_OPS_PORT'],
  ['token', 'LANEGATE_TOKEN', 'OPENCLAW_GATEWAY_TOKEN'],
  ['password', 'LANEGATE_PASSWORD', 'OPENCLAW_GATEWAY_PASSWORD'],
  ['convRingBytes', 'LANEGATE_CONV_RING_BYTES'],
  ['opsRingBytes', 'LANEGATE_OPS_RING_BYTES'],
  ['outRingBytes', 'LANEGATE_OUT_RING_BYTES'],
  ['convMaxPayload', 'LANEGATE_CONV_MAX_PAYLOAD'],
  ['opsMaxPayload', 'LANEGATE_OPS_MAX_PAYLOAD'],
  ['agent', 'LANEGATE_AGENT'],
  ['logLevel', 'LANEGATE_LOG_LEVEL'],
  ['tickIntervalMs', 'LANEGATE_TICK_INTERVAL_MS'],
  ['handshakeTimeoutMs', 'LANEGATE_HANDSHAKE_TIMEOUT_MS'],
  ['stateDir', 'LANEGATE_STATE_DIR'],
  ['fsync', 'LANEGATE_FSYNC'],
  ['opsRetention', 'LANEGATE_OPS_RETENTION'],
  ['opsRetentionBytes', 'LANEGATE_OPS_RETENTION_BYTES'],
  ['opsRetentionMs', 'LANEGATE_OPS_RETENTION_MS'],
  ['sessionIdleMs', 'LANEGATE_SESSION_IDLE_MS'],
  ['historyLimit', 'LANEGATE_HISTORY_LIMIT'],
  ['taskThreads', 'LANEGATE_TASK_THREADS'],
  ['opsNice', 'LANEGATE_OPS_NICE'],
  ['opsOutHeadroom', 'LANEGATE_OPS_OUT_HEADROOM'],
  ['opsDeflate.mode', 'LANEGATE_OPS_DEFLATE'],
  ['opsDeflate.threshold', 'LANEGATE_OPS_DEFLATE_THRESHOLD'],
  ['opsDeflate.level', 'LANEGATE_OPS_DEFLATE_LEVEL'],
  ['opsDeflate.memLevel', 'LANEGATE_OPS_DEFLATE_MEM_LEVEL'],
  ['opsDeflate.concurrency', 'LANEGATE_OPS_DEFLATE_CONCURRENCY'],
  ['scavenge', 'LANEGATE_SCAVENGE'],
  ['redis.url', 'LANEGATE_REDIS_URL'],
  ['redis.prefix', 'LANEGATE_REDIS_PREFIX'],
  ['openai.apiKey', 'OPENAI_API_KEY'],
  ['openai.baseUrl', 'LANEGATE_OPENAI_BASE_URL'],
  ['openai.model', 'LANEGATE_OPENAI_MODEL'],
  ['openai.systemPrompt', 'LANEGATE_SYSTEM_PROMPT'],
  ['openai.connectTimeoutMs', 'LANEGATE_OPENAI_CONNECT_TIMEOUT_MS'],
  ['openai.idleTimeoutMs', 'LANEGATE_OPENAI_IDLE_TIMEOUT_MS'],
  ['openai.maxRetries', 'LANEGATE_OPENAI_MAX_RETRIES'],
  ['openai.retryBaseMs', 'LANEGATE_OPENAI_RETRY_BASE_MS'],
  ['openai.retryMaxMs', 'LANEGATE_OPENAI_RETRY_MAX_MS'],
  ['openai.historyChars', 'LANEGATE_OPENAI_HISTORY_CHARS'],
  ['openai.maxToolRounds', 'LANEGATE_OPENAI_MAX_TOOL_ROUNDS'],
  ['jwt.secret', 'LANEGATE_JWT_SECRET'],
  ['jwt.issuer', 'LANEGATE_JWT_ISSUER'],
  ['jwt.audience', 'LANEGATE_JWT_AUDIENCE'],
  ['allowedOrigins', 'LANEGATE_ALLOWED_ORIGINS'],
  ['limits.preauthMaxPayload', 'LANEGATE_PREAUTH_MAX_PAYLOAD'],
  ['limits.conv.rate', 'LANEGATE_CONV_RATE'],
  ['limits.conv.burst', 'LANEGATE_CONV_RATE_BURST'],
  ['limits.conv.maxConns', 'LANEGATE_CONV_MAX_CONNS'],
  ['limits.conv.maxBufferedBytes', 'LANEGATE_CONV_MAX_BUFFERED_BYTES'],
  ['limits.ops.rate', 'LANEGATE_OPS_RATE'],
  ['limits.ops.burst', 'LANEGATE_OPS_RATE_BURST'],
  ['limits.ops.maxConns', 'LANEGATE_OPS_MAX_CONNS'],
  ['limits.ops.maxBufferedBytes', 'LANEGATE_OPS_MAX_BUFFERED_BYTES'],
  ['limits.perIp.maxConns', 'LANEGATE_MAX_CONNS_PER_IP'],
  ['limits.perIp.rate', 'LANEGATE_CONN_RATE_PER_IP'],
  ['limits.perIp.burst', 'LANEGATE_CONN_BURST_PER_IP'],
];

/** Variables naming a file whose text is the option's value (errors show the path, never the text). */
const ENV_FILES: [path: string, name: string, what: string][] = [
  ['jwt.publicKeyPem', 'LANEGATE_JWT_PUBLIC_KEY', 'a PEM RSA public key (RS256) or EC P-256 public key (ES256)'],
  ['jwt.jwks', 'LANEGATE_JWT_JWKS', 'a JSON Web Key Set {"keys":[...]} of RSA or EC P-256 public keys'],
  ['tls.cert', 'LANEGATE_TLS_CERT', 'a PEM certificate (chain)'],
  ['tls.key', 'LANEGATE_TLS_KEY', 'a PEM private key'],
  ['openai.systemPrompt', 'LANEGATE_SYSTEM_PROMPT_FILE', 'the system prompt (UTF-8 text)'],
  ['agents', 'LANEGATE_AGENTS', 'a JSON list of agents'],
];

function setPath(o: Record<string, unknown>, path: string, v: unknown): void {
  const keys = path.split('.');
  let at = o;
  for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = v;
}

const absolute = (p: string): string => (isAbsolute(p) ? p : resolve(p));

/** The agents file: a JSON list, or {agents: [...]}; module paths are relative to the file. */
function agentsFile(text: string, name: string, path: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(name, path, `a JSON file listing agents (${(e as Error).message})`);
  }
  const list = Array.isArray(v) ? v : (v as { agents?: unknown } | null)?.agents;
  if (!Array.isArray(list)) return list;
  const dir = dirname(absolute(path));
  return list.map((a: unknown) => {
    const m = (a as { module?: unknown } | null)?.module;
    return typeof m === 'string' && !isAbsolute(m) ? { ...(a as object), module: resolve(dir, m) } : a;
  });
}

/** The environment as gateway options, and where each option came from. */
export function optionsFromEnv(env: Env): { options: GatewayOptions; origins: Origins } {
  const options: Record<string, unknown> = {};
  const from = new Map<string, Origin>();
  const pick = (names: string[]): [string, string] | null => {
    for (const n of names) {
      const v = env[n];
      if (v !== undefined && v !== '') return [n, v];
    }
    return null;
  };
  for (const [path, ...names] of ENV) {
    const got = pick(names);
    from.set(path, { name: got?.[0] ?? names[0]! });
    if (got) setPath(options, path, got[1]);
  }
  for (const [path, name, what] of ENV_FILES) {
    const got = pick([name]);
    if (!from.has(path) || got) from.set(path, { name, ...(got ? { shown: got[1] } : {}) });
    if (!got) continue;
    if (path === 'openai.systemPrompt' && pick(['LANEGATE_SYSTEM_PROMPT'])) throw new ConfigError(name, got[1], 'unset when LANEGATE_SYSTEM_PROMPT is set (one of the two)');
    let body: string;
    try {
      body = readFileSync(absolute(got[1]), 'utf8');
    } catch {
      throw new ConfigError(name, got[1], `the path of a readable file holding ${what}`);
    }
    setPath(options, path, path === 'agents' ? agentsFile(body, name, got[1]) : body);
  }
  return { options: options as GatewayOptions, origins: (path) => from.get(path) ?? { name: path } };
}

/** Reads and validates every setting from the environment. Throws ConfigError on the first bad one. */
export function loadConfig(env: Env = {}): Config {
  const { options, origins: at } = optionsFromEnv(env);
  return resolveConfig(options, at);
}
