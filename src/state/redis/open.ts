import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import type { RedisFigures } from '../../metrics/registry.js';
import { RedisChatShare } from './chat-share.js';
import { redisKeys } from './keys.js';
import { RedisLink, redactUrl } from './link.js';
import { RedisSessionShare } from './session-share.js';

/** How long start waits for Redis before it goes on without it (the link keeps retrying). */
export const OPEN_WAIT_MS = 3_000;

/** A gateway's scale-out state: one link to Redis and what runs over it. */
export interface RedisState {
  link: RedisLink;
  /** This instance's name on the chat channel and in leases. */
  instanceId: string;
  /** The URL without its password, for banners and logs. */
  shownUrl: string;
  sessions: RedisSessionShare;
  chat: RedisChatShare;
  /** Breaks in the shared ops feed so far. */
  feedResets(): number;
  /** Gives up held sessions (after their writes), then closes the connections. */
  close(): Promise<void>;
}

/**
 * Opens the link (throws ConfigError for refused credentials or a server
 * without what lanegate needs; an unreachable server is logged and retried,
 * the gateway starts without it) and the chat share over it.
 */
export async function openRedis(c: RedisConfig, historyLimit: number, log: Logger): Promise<RedisState> {
  const shownUrl = redactUrl(c.url);
  const { link, state } = await RedisLink.open(c.url, OPEN_WAIT_MS);
  if (state === 'down') log.warn({ redis: shownUrl }, 'redis unreachable; retrying. Chats are served, ops deliveries answer UNAVAILABLE until it answers');
  link.on('state', (s) => (s === 'up' ? log.info({ redis: shownUrl }, 'redis connected') : log.warn({ redis: shownUrl }, 'redis connection lost; reconnecting')));
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const chat = new RedisChatShare(link, redisKeys(c.prefix), instanceId, historyLimit, log);
  const sessions = new RedisSessionShare(chat, historyLimit);
  return {
    link,
    instanceId,
    shownUrl,
    sessions,
    chat,
    feedResets: () => 0,
    async close() {
      await chat.close();
      await link.close();
    },
  };
}

/** The link's figures for /metrics (zeros before the link exists). */
export function redisFigures(r: RedisState | null): RedisFigures {
  return {
    up: r?.link.state === 'up',
    reconnects: r?.link.reconnects ?? 0,
    chatBacklog: r?.chat.backlog ?? 0,
    chatRefused: r?.chat.refused ?? 0,
    chatReceived: r?.chat.received ?? 0,
    feedResets: r?.feedResets() ?? 0,
  };
}
