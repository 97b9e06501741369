-- Give not-launched claims back: to the head of the cache, first claim at the head, or, for a
-- claim taken from the waiting set, to the waiting set, due when it was, attempt kept.
-- KEYS: cache, claims, owners, claimed_at, launching, attempts, waited, waiting,
--       waiting_records, waiting_counts  (one execution's slot)
-- ARGV: claim ids, in their original cache order
-- Claims that are gone (settled, returned, deferred) or launched (an attempt is stored) are
-- skipped. Returns how many records went back.
local back = 0
for i = #ARGV, 1, -1 do
  local id = ARGV[i]
  local raw = redis.call('HGET', KEYS[2], id)
  if raw and redis.call('HEXISTS', KEYS[6], id) == 0 then
    local mark = redis.call('HGET', KEYS[7], id)
    if mark then
      local attempt, reason, status, due = string.match(mark, '^(%d+):([^:]*):([^:]*):(.*)$')
      redis.call('ZADD', KEYS[8], due, id)
      redis.call('HSET', KEYS[9], id, attempt .. ':' .. reason .. ':' .. status .. ':' .. raw)
      redis.call('HINCRBY', KEYS[10], reason, 1)
    else
      redis.call('LPUSH', KEYS[1], raw)
    end
    for k = 2, 7 do
      redis.call('HDEL', KEYS[k], id)
    end
    back = back + 1
  end
end
return back
