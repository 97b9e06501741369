-- Claims not launched yet, of every owner.
-- KEYS: claims, attempts  (one execution's slot)
-- Returns claim_id1, raw1, ... (unordered: the caller sorts by claim id).
local claims = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #claims, 2 do
  if redis.call('HEXISTS', KEYS[2], claims[i]) == 0 then
    out[#out + 1] = claims[i]
    out[#out + 1] = claims[i + 1]
  end
end
return out
