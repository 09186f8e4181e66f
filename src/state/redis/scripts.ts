import { createHash } from 'node:crypto';

/**
 * The Lua scripts of the shared ops log. One script per append, as
 * Centrifugo's Redis engine does it: the idempotency check, the epoch, the
 * seq counter, the stream entry and the retention trim happen in one atomic
 * step, so two instances can never number two deliveries alike nor store
 * one key twice.
 *
 * KEYS (all of one hash tag, see keys.ts): meta, log, idem, fences (a list).
 * ARGV[1], ARGV[2] of every script: an epoch id to use if the log must be
 * created, and the lowest head seq it may start from (the caller's highest
 * seq seen, so a Redis that lost its data does not hand out seqs that
 * clients already saw, even under the new epoch).
 */

/** Generations whose fences are kept: a cursor from an older generation is not resumable. */
export const FENCES_KEPT = 64;
/** Characters of the replication id that name a generation (48 random bits). */
export const GEN_CHARS = 12;
/** Entries trimmed at most per append (a retention lowered at runtime drains over later appends). */
export const EVICT_MAX = 64;
/** Bytes counted per entry beyond its fields (the stream's own bookkeeping, roughly). */
export const ENTRY_OVERHEAD = 48;

const PRELUDE = `
local meta, log, idem, fences = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

-- Where the log stands, creating it or starting a generation first. A log
-- is created when its metadata is missing (first use, or a Redis that lost
-- its data). A generation begins when the replication id differs from the
-- one recorded: the data set was reloaded (a restart) or a replica was
-- promoted (a failover), and entries after the head it has now may have
-- been acknowledged by the server before and lost. The generation is named
-- by the replication id (random per run of a primary), not counted: a
-- rolled-back data set has forgotten the generations it lost, so it cannot
-- name a new one like them. Its fence is the head the data set had then.
local function position(newEpoch, floor)
  local m = redis.call('HMGET', meta, 'e', 'rid', 's', 'f', 'b')
  local rid = string.sub(string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)') or 'none', 1, ${GEN_CHARS})
  if not m[1] then
    redis.call('UNLINK', log, idem, fences)
    local s = tonumber(floor)
    redis.call('HSET', meta, 'e', newEpoch, 'rid', rid, 's', s, 'f', s + 1, 'b', 0)
    redis.call('RPUSH', fences, rid .. ':' .. s)
    return newEpoch, rid, s, s + 1, 0
  end
  local s = tonumber(m[3])
  if m[2] ~= rid then
    redis.call('HSET', meta, 'rid', rid)
    redis.call('RPUSH', fences, rid .. ':' .. s)
    redis.call('LTRIM', fences, -${FENCES_KEPT}, -1)
  end
  return m[1], rid, s, tonumber(m[4]), tonumber(m[5])
end
`;

/**
 * ARGV: 3 idempotencyKey, 4 lane, 5 sessionKey, 6 kind, 7 ts, 8 payload
 * JSON, 9 retention (entries), 10 retention bytes (0: off), 11 retention
 * ms (0: off). Returns {seq, duplicate 0|1, epoch, firstSeq}.
 */
export const APPEND_LUA = `${PRELUDE}
local e, g, s, f, b = position(ARGV[1], ARGV[2])
local epoch = e .. ':' .. g
local prior = redis.call('HGET', idem, ARGV[3])
if prior then return { tonumber(prior), 1, epoch, f } end

s = s + 1
redis.call('XADD', log, s .. '-0', 'l', ARGV[4], 'k', ARGV[5], 'n', ARGV[6], 'i', ARGV[3], 't', ARGV[7], 'p', ARGV[8])
redis.call('HSET', idem, ARGV[3], s)
b = b + #ARGV[8] + #ARGV[3] + #ARGV[5] + #ARGV[6] + ${ENTRY_OVERHEAD}

-- Retention: the oldest entries go (never the newest), with their keys, so
-- the key table always holds exactly the retained entries' keys.
local maxCount, maxBytes, maxAge = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local now = 0
if maxAge > 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local trimmed = 0
while f < s and trimmed < ${EVICT_MAX} do
  local over = s - f + 1 > maxCount or (maxBytes > 0 and b > maxBytes)
  local entry = nil
  if not over and maxAge > 0 then
    entry = redis.call('XRANGE', log, f .. '-0', f .. '-0')[1]
    over = entry ~= nil and tonumber(entry[2][10]) < now - maxAge
  end
  if not over then break end
  entry = entry or redis.call('XRANGE', log, f .. '-0', f .. '-0')[1]
  if entry then
    local v = entry[2]
    redis.call('HDEL', idem, v[8])
    b = b - (#v[12] + #v[8] + #v[4] + #v[6] + ${ENTRY_OVERHEAD})
  end
  f = f + 1
  trimmed = trimmed + 1
end
if trimmed > 0 then redis.call('XTRIM', log, 'MINID', f .. '-0') end

redis.call('HSET', meta, 's', s, 'f', f, 'b', b)
return { s, 0, epoch, f }
`;

/** Returns {epochId, generation, headSeq, firstSeq, fences oldest first ("gen:seq", ...)}. */
export const POSITION_LUA = `${PRELUDE}
local e, g, s, f = position(ARGV[1], ARGV[2])
return { e, g, s, f, redis.call('LRANGE', fences, 0, -1) }
`;

export interface LuaScript {
  source: string;
  sha1: string;
}

function script(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

export const APPEND = script(APPEND_LUA);
export const POSITION = script(POSITION_LUA);
