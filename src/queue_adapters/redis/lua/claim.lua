-- Move up to ARGV[1] records from the head of the cache into claims of one owner.
-- KEYS: cache, seq, claims, owners, claimed_at  (one execution's slot)
-- ARGV: count, owner, now
-- Returns claim_id1, raw1, claim_id2, raw2, ... in cache order; {} when the cache is empty.
local records = redis.call('LPOP', KEYS[1], ARGV[1])
if not records then
  return {}
end
local last = redis.call('INCRBY', KEYS[2], #records)
local out = {}
for i, raw in ipairs(records) do
  local id = tostring(last - #records + i)
  redis.call('HSET', KEYS[3], id, raw)
  redis.call('HSET', KEYS[4], id, ARGV[2])
  redis.call('HSET', KEYS[5], id, ARGV[3])
  out[#out + 1] = id
  out[#out + 1] = raw
end
return out
