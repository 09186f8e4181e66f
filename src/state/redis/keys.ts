/**
 * Key names under one prefix. Every key carries the same hash tag, so a
 * Redis Cluster keeps them in one slot: the append script touches the
 * log, its metadata and the idempotency table in one atomic call, and
 * Redis runs a script only over keys of one slot. (The price: one shard
 * holds lanegate's whole state; see docs/redis.md, Limits.)
 */
export interface RedisKeys {
  /** Hash: e (epoch id), rid (generation: the replication id seen last), s (head seq), f (first retained seq), b (retained bytes). */
  meta: string;
  /** Stream: one entry per delivery, id `<seq>-0`. */
  log: string;
  /** Hash: idempotencyKey -> seq, for exactly the retained entries. */
  idem: string;
  /** List, oldest first: `<generation>:<head seq the data set had when it began>`. */
  fences: string;
  /** Prefix of per-session keys (transcripts, leases). */
  session(kind: 'chat' | 'lease', sessionKey: string): string;
  /** Pub/sub channel for live chat events and lease hand-over requests. */
  chatChannel: string;
}

/**
 * The tagged prefix: a prefix that already holds a `{tag}` is used as
 * given (the operator chose the slot); otherwise the whole prefix becomes
 * the tag (`lanegate:` -> `{lanegate:}`).
 */
export function taggedPrefix(prefix: string): string {
  return /\{[^{}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
}

export function redisKeys(prefix: string): RedisKeys {
  const p = taggedPrefix(prefix);
  return {
    meta: `${p}ops:meta`,
    log: `${p}ops:log`,
    idem: `${p}ops:idem`,
    fences: `${p}ops:fences`,
    session: (kind, sessionKey) => `${p}${kind}:${sessionKey}`,
    chatChannel: `${p}chat`,
  };
}
