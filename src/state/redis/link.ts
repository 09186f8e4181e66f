import { EventEmitter } from 'node:events';
import { createClient, type RedisClientType } from '@redis/client';
import { ConfigError, ErrorCodes, LanegateError } from '../../errors.js';
import type { LuaScript } from './scripts.js';

/** How long one connect attempt may take. */
const CONNECT_TIMEOUT_MS = 2_000;
/**
 * A connection with no byte in either direction for this long is closed
 * and reconnected: a Redis that hangs (stopped process, dead link without
 * a reset) fails the commands in flight instead of holding acks forever.
 * The blocking reader's BLOCK stays well below it, and the ping keeps an
 * idle command connection alive.
 */
export const SOCKET_TIMEOUT_MS = 5_000;
const PING_INTERVAL_MS = 1_000;
/** Reconnect backoff: doubles from the first delay up to the last, with jitter. */
const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 2_000;
/** Oldest server with everything used: XTRIM MINID and XADD NOMKSTREAM came in 6.2. */
const MIN_VERSION = [6, 2] as const;

export type Client = RedisClientType<{}, {}, {}, 2>;

/** What the link does: `up` (commands go out), `down` (they fail at once with UNAVAILABLE). */
export type LinkState = 'up' | 'down';

export interface LinkEvents {
  state: [LinkState];
}

/** Auth refusals: retrying cannot help, the configuration is wrong. */
const AUTH_ERROR = /^(WRONGPASS|NOAUTH|NOPERM)/;

export function redisUnavailable(cause?: unknown): LanegateError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new LanegateError(ErrorCodes.REDIS_UNAVAILABLE, `redis unavailable${why}`, { cause });
}

/** The URL as it may be shown: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return '[unparsable url]';
  }
}

/**
 * The connections to one Redis: `command` for scripts and reads (never
 * blocked, offline queue off so a command issued while disconnected fails
 * at once instead of waiting for a reconnect), and dedicated connections
 * for blocking stream reads and for pub/sub, as Redis requires. All
 * reconnect on their own with capped backoff.
 */
export class RedisLink extends EventEmitter<LinkEvents> {
  readonly url: string;
  readonly command: Client;
  #state: LinkState = 'down';
  #closed = false;
  /** Connected at least once: from then on every failure is retried (a refused password too, it may be fixed). */
  #everUp = false;
  readonly #extra: Client[] = [];
  #up: Promise<void> | null = null;
  /** Reconnections after the first connect (for /metrics). */
  reconnects = 0;

  private constructor(url: string) {
    super();
    this.url = url;
    this.command = this.#client('command');
    this.command.on('ready', () => {
      this.#everUp = true;
      this.#set('up');
    });
    this.command.on('end', () => this.#set('down'));
    this.command.on('reconnecting', () => {
      this.reconnects++;
      this.#set('down');
    });
  }

  /**
   * Connects and checks the server. Resolves `up` once Redis answered and
   * has what lanegate needs, or `down` after `waitMs` if it is not
   * reachable yet (the link keeps retrying in the background; the caller
   * says so). Rejects with a ConfigError naming LANEGATE_REDIS_URL for a
   * refused password or a server without the needed commands: retrying
   * cannot fix either.
   */
  static async open(url: string, waitMs: number): Promise<{ link: RedisLink; state: LinkState }> {
    const link = new RedisLink(url);
    let authFailure: Error | null = null;
    const connected = link.command.connect().then(
      () => true,
      (e: unknown) => {
        authFailure = e instanceof Error ? e : new Error(String(e));
        return false;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
    const first = await Promise.race([connected, waited]);
    clearTimeout(timer);
    if (first === false) {
      await link.close();
      const msg = (authFailure as Error | null)?.message ?? 'refused';
      throw new ConfigError('LANEGATE_REDIS_URL', redactUrl(url), `a Redis that accepts these credentials (it answered: ${msg.split('\n')[0]})`);
    }
    if (first === 'timeout') return { link, state: 'down' };
    try {
      await link.#check();
    } catch (e) {
      await link.close();
      throw e;
    }
    return { link, state: 'up' };
  }

  get state(): LinkState {
    return this.#state;
  }

  /** Resolves when the link is (or next becomes) up; one shared promise for every waiter. */
  whenUp(): Promise<void> {
    if (this.#state === 'up') return Promise.resolve();
    return (this.#up ??= new Promise<void>((resolve) => {
      const on = (s: LinkState): void => {
        if (s !== 'up') return;
        this.off('state', on);
        this.#up = null;
        resolve();
      };
      this.on('state', on);
    }));
  }

  /** Another connection for blocking reads or pub/sub, with the same settings. */
  async dedicated(name: string): Promise<Client> {
    const c = this.#client(name);
    this.#extra.push(c);
    // Like the command connection, it retries until it reaches Redis.
    void c.connect().catch(() => {});
    return c;
  }

  /** Runs a script by hash, loading it first if this server does not know it (a restart, a failover). */
  async run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.command.sendCommand(['EVALSHA', script.sha1, ...tail]);
    } catch (e) {
      if (!(e instanceof Error && e.message.startsWith('NOSCRIPT'))) throw e;
      return await this.command.sendCommand(['EVAL', script.source, ...tail]);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of [this.command, ...this.#extra]) {
      // destroy: no QUIT round trip, which would wait for a Redis that may be gone.
      if (c.isOpen) c.destroy();
    }
    this.#set('down');
  }

  #client(name: string): Client {
    const c: Client = createClient({
      url: this.url,
      name: `lanegate-${name}`,
      // RESP2: replies are plain arrays (RESP3 makes XREAD a map); nothing here needs RESP3's types.
      RESP: 2,
      disableOfflineQueue: true,
      pingInterval: name === 'command' ? PING_INTERVAL_MS : undefined,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        socketTimeout: SOCKET_TIMEOUT_MS,
        reconnectStrategy: (retries: number, cause: Error) => {
          if (this.#closed) return false;
          // Refused credentials at the first connect: stop, open() reports it.
          if (!this.#everUp && AUTH_ERROR.test(cause?.message ?? '')) return cause;
          const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(retries, 10));
          return Math.round(base / 2 + Math.random() * (base / 2));
        },
      },
    });
    // Errors surface as rejected commands and state changes; the event must have a listener.
    c.on('error', () => {});
    return c;
  }

  #set(s: LinkState): void {
    if (this.#state === s || (this.#closed && s === 'up')) return;
    this.#state = s;
    this.emit('state', s);
  }

  /** The server has streams with MINID trimming and runs scripts that call INFO. */
  async #check(): Promise<void> {
    const info = String(await this.command.sendCommand(['INFO', 'server']));
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    const major = Number(version?.[1] ?? 0);
    const minor = Number(version?.[2] ?? 0);
    if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
      throw new ConfigError('LANEGATE_REDIS_URL', redactUrl(this.url), `a Redis ${MIN_VERSION.join('.')} or newer (this server is ${version ? `${major}.${minor}` : 'of unknown version'})`);
    }
    try {
      await this.command.sendCommand(['EVAL', "return string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)')", '0']);
    } catch (e) {
      throw new ConfigError('LANEGATE_REDIS_URL', redactUrl(this.url), `a Redis that runs Lua scripts calling INFO, XADD and XTRIM (it answered: ${(e as Error).message.split('\n')[0]})`);
    }
  }
}
