-- Record a launched attempt of a claim: in flight, stored, counted. Idempotent.
-- KEYS: claims, launching, attempts, active_calls, state, facts of this claim  (one slot)
-- ARGV: claim id, attempt JSON, execution SID
-- Returns {status, encoded facts...}: status 1 when recorded now, 2 when this same attempt was
-- recorded before, 0 when the claim is gone or holds another attempt (then nothing changes and
-- no fact is returned). The facts are those kept for the claim before its launch was recorded.
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[1], id) == 0 then
  return {0}
end
local stored = redis.call('HGET', KEYS[3], id)
if stored then
  if stored == ARGV[2] then
    return {2}
  end
  return {0}
end
redis.call('HSET', KEYS[3], id, ARGV[2])
redis.call('HDEL', KEYS[2], id)
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('HINCRBY', KEYS[5], 'launched', 1)
local early = redis.call('HVALS', KEYS[6])
table.insert(early, 1, 1)
return early
