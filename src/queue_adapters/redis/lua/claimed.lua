-- Claims not launched yet, of every owner.
-- KEYS: claims, attempts, waited  (one execution's slot)
-- Returns claim_id1, raw1, mark1, ... (unordered: the caller sorts by claim id); a mark is
-- "<attempt>:<reason>:<last status>:<due>" for a claim taken from the waiting set, else "".
local claims = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #claims, 2 do
  if redis.call('HEXISTS', KEYS[2], claims[i]) == 0 then
    out[#out + 1] = claims[i]
    out[#out + 1] = claims[i + 1]
    out[#out + 1] = redis.call('HGET', KEYS[3], claims[i]) or ''
  end
end
return out
