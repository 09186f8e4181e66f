import { bad, isSet, object, type Origin, type Origins } from './check.js';

/** Scale-out: the shared Redis (URL as given: it may hold a password) and the key prefix. */
export interface RedisConfig {
  url: string;
  prefix: string;
}

export const REDIS_PREFIX_DEFAULT = 'lanegate:';
/** Longest prefix: it is repeated in every key. */
const PREFIX_MAX = 64;

/** A URL as an error may show it: the password replaced (never echo a secret). */
function redacted(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1[redacted]@');
}

function redisUrl(v: unknown, at: Origin): string {
  const allowed = 'a redis:// or rediss:// URL such as redis://:password@redis.internal:6379/0 (host required, database 0 .. 15)';
  if (typeof v !== 'string') bad(at, v, allowed);
  const shown = { ...at, shown: redacted(v) };
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    bad(shown, v, allowed);
  }
  const db = u.pathname.replace(/^\//, '');
  if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname || u.search || u.hash || (db !== '' && !/^(\d|1[0-5])$/.test(db))) bad(shown, v, allowed);
  return v;
}

/** `redis: {url, prefix}`; null (off) without a URL. */
export function redisConfig(v: unknown, at: Origins): RedisConfig | null {
  if (v === undefined || v === null) return null;
  const o = object(v, at('redis'));
  if (!isSet(o.url)) {
    if (isSet(o.prefix)) bad(at('redis.prefix'), o.prefix, `set only with ${at('redis.url').name}`);
    return null;
  }
  const url = redisUrl(o.url, at('redis.url'));
  const prefix = isSet(o.prefix) ? o.prefix : REDIS_PREFIX_DEFAULT;
  if (typeof prefix !== 'string' || prefix.length > PREFIX_MAX || !/^[\x21-\x7e]+$/.test(prefix) || /[{}]/.test(prefix.replace(/\{[^{}]+\}/, ''))) {
    bad(at('redis.prefix'), prefix, `1 to ${PREFIX_MAX} printable ASCII characters without spaces, with at most one {hash tag}`);
  }
  return { url, prefix };
}
