-- Record a launched attempt and index its execution SID in one step, on one server:
-- record_launch.lua then index_sid.lua, which a cluster runs one after the other because the
-- SID's keys have a slot of their own. Idempotent.
-- KEYS: claims, launching, attempts, active_calls, state, facts of this claim  (the
--       execution's slot), then SID index, parked facts  (the SID's slot)
-- ARGV: claim id, attempt JSON, execution SID, contact ref, index TTL (ms)
-- Returns {status, encoded facts...} with record_launch.lua's status: 1 recorded now, 2 this
-- same attempt was recorded before, 0 the claim is gone or holds another attempt (then nothing
-- changes, no fact). Unless 0, the SID is indexed unless another contact holds it, and the
-- facts are those kept for the claim (when recorded now), then those parked for the SID (when
-- it is indexed now): handed over once.
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[1], id) == 0 then
  return {0}
end
local out
local stored = redis.call('HGET', KEYS[3], id)
if stored then
  if stored ~= ARGV[2] then
    return {0}
  end
  out = {2}
else
  redis.call('HSET', KEYS[3], id, ARGV[2])
  redis.call('HDEL', KEYS[2], id)
  redis.call('SADD', KEYS[4], ARGV[3])
  redis.call('HINCRBY', KEYS[5], 'launched', 1)
  out = redis.call('HVALS', KEYS[6])
  table.insert(out, 1, 1)
end
local holder = redis.call('GET', KEYS[7])
if holder and holder ~= ARGV[4] then
  return out
end
redis.call('SET', KEYS[7], ARGV[4], 'PX', ARGV[5])
for _, fact in ipairs(redis.call('HVALS', KEYS[8])) do
  out[#out + 1] = fact
end
redis.call('DEL', KEYS[8])
return out
