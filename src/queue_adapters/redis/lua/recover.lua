-- Give a dead owner's claims back, in claim order: to the head of the cache, or, for a claim
-- taken from the waiting set, to the waiting set, due when it was, attempt kept.
-- KEYS: cache, claims, owners, claimed_at, launching, attempts, waited, waiting,
--       waiting_records, waiting_counts  (one execution's slot)
-- ARGV: dead owner
-- A claim reserved for launch (launching) or launched (attempt) stays: its launch may have
-- happened, so it is reconciled against Studio instead. Returns how many went back.
local owners = redis.call('HGETALL', KEYS[3])
local ids = {}
for i = 1, #owners, 2 do
  local id = owners[i]
  if owners[i + 1] == ARGV[1]
      and redis.call('HEXISTS', KEYS[5], id) == 0
      and redis.call('HEXISTS', KEYS[6], id) == 0 then
    ids[#ids + 1] = id
  end
end
table.sort(ids, function(a, b) return tonumber(a) < tonumber(b) end)
for i = #ids, 1, -1 do
  local id = ids[i]
  local raw = redis.call('HGET', KEYS[2], id)
  local mark = redis.call('HGET', KEYS[7], id)
  if mark then
    local attempt, reason, status, due = string.match(mark, '^(%d+):([^:]*):([^:]*):(.*)$')
    redis.call('ZADD', KEYS[8], due, id)
    redis.call('HSET', KEYS[9], id, attempt .. ':' .. reason .. ':' .. status .. ':' .. raw)
    redis.call('HINCRBY', KEYS[10], reason, 1)
    redis.call('HDEL', KEYS[7], id)
  else
    redis.call('LPUSH', KEYS[1], raw)
  end
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
end
return #ids
