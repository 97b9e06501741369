-- Move due waiting records into claims of one owner, earliest due first.
-- KEYS: seq, claims, owners, claimed_at, waited, waiting, waiting_records, waiting_counts
--       (one execution's slot)
-- ARGV: now (unix s), limit, owner
-- Each record due at or before now gets a new claim id, and a mark in `waited` (its attempt,
-- reason, last status and due time) so that the claim, given back, waits again as it did.
-- Returns claim_id1, raw1, attempt1, last status1, ...; {} when none is due.
local due = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0,
  ARGV[2])
local n = #due / 2
if n == 0 then
  return {}
end
local last = redis.call('INCRBY', KEYS[1], n)
local out = {}
for i = 1, n do
  local wid, score = due[2 * i - 1], due[2 * i]
  local entry = redis.call('HGET', KEYS[7], wid)
  local attempt, reason, status = string.match(entry, '^(%d+):([^:]*):([^:]*):')
  local raw = string.sub(entry, #attempt + #reason + #status + 4)
  local id = tostring(last - n + i)
  redis.call('HSET', KEYS[2], id, raw)
  redis.call('HSET', KEYS[3], id, ARGV[3])
  redis.call('HSET', KEYS[4], id, ARGV[1])
  redis.call('HSET', KEYS[5], id, attempt .. ':' .. reason .. ':' .. status .. ':' .. score)
  redis.call('ZREM', KEYS[6], wid)
  redis.call('HDEL', KEYS[7], wid)
  redis.call('HINCRBY', KEYS[8], reason, -1)
  out[#out + 1] = id
  out[#out + 1] = raw
  out[#out + 1] = attempt
  out[#out + 1] = status
end
return out
