-- Give not-launched claims back to the head of the cache, first claim at the head.
-- KEYS: cache, claims, owners, claimed_at, launching, attempts  (one execution's slot)
-- ARGV: claim ids, in their original cache order
-- Claims that are gone (settled, returned) or launched (an attempt is stored) are skipped.
-- Returns how many records went back.
local back = 0
for i = #ARGV, 1, -1 do
  local id = ARGV[i]
  local raw = redis.call('HGET', KEYS[2], id)
  if raw and redis.call('HEXISTS', KEYS[6], id) == 0 then
    redis.call('LPUSH', KEYS[1], raw)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
    back = back + 1
  end
end
return back
