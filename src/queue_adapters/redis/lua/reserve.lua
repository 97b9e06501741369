-- Reserve a contact's launch in one step, on one server: hold_index.lua on the pair, then
-- mark_launching.lua, then (lease lost before any mark) compare_delete.lua on the pair, which a
-- cluster runs one by one because the pair has a slot of its own.
-- KEYS: pair index, then claims, launching, attempts, lease  (the execution's slot)
-- ARGV: contact ref, index TTL (ms), claim id, now, lease token ('' = no lease check)
-- Returns 0 when another contact holds the pair (nothing changes); else what
-- mark_launching.lua answers: 1 (the pair is held, the claim marked unless gone or launched),
-- 2 (lease lost, the claim never marked: the pair is let go), 3 (lease lost after an earlier
-- reservation marked the claim: its launch may have happened, so the pair stays held).
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return 0
end
local id = ARGV[3]
if ARGV[5] ~= '' and redis.call('HGET', KEYS[5], 'token') ~= ARGV[5] then
  if redis.call('HEXISTS', KEYS[3], id) == 0 then
    if holder then
      redis.call('DEL', KEYS[1])
    end
    return 2
  end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 3
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('HEXISTS', KEYS[2], id) == 1 and redis.call('HEXISTS', KEYS[4], id) == 0 then
  redis.call('HSETNX', KEYS[3], id, ARGV[4])
end
return 1
