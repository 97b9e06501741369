-- Move not-launched claims into the waiting set, each waiting for its calling window.
-- KEYS: claims, owners, claimed_at, launching, attempts, waited, waiting, waiting_records,
--       waiting_counts  (one execution's slot)
-- ARGV: claim id, due (unix s), claim id, due, ...
-- A claim that is gone (settled, returned, deferred) or launched (an attempt is stored) is
-- skipped, so a retry is harmless. A claim taken from the waiting set keeps its attempt number
-- and last status; any other waits for its first attempt. Its claim id becomes its waiting id.
-- Returns how many moved.
local moved = 0
for i = 1, #ARGV, 2 do
  local id = ARGV[i]
  local raw = redis.call('HGET', KEYS[1], id)
  if raw and redis.call('HEXISTS', KEYS[5], id) == 0 then
    local attempt, last = '1', ''
    local mark = redis.call('HGET', KEYS[6], id)
    if mark then
      attempt, last = string.match(mark, '^(%d+):[^:]*:([^:]*):')
    end
    for k = 1, 6 do
      redis.call('HDEL', KEYS[k], id)
    end
    redis.call('ZADD', KEYS[7], ARGV[i + 1], id)
    redis.call('HSET', KEYS[8], id, attempt .. ':window:' .. last .. ':' .. raw)
    redis.call('HINCRBY', KEYS[9], 'window', 1)
    moved = moved + 1
  end
end
return moved
