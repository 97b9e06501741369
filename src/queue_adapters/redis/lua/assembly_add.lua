-- Add facts to the assemblies of one or more contacts of one execution; first delivery of
-- each key wins.
-- KEYS: attempts, launching, answered, then the facts hash of each claim  (one execution's slot)
-- ARGV: TTL (s), then for each claim in KEYS order: claim id, fact count n, then n fact
--       key/encoded fact pairs
-- Returns a JSON array (one string to read, however many facts) of one reply per claim: 0
-- when the claim has no recorded launch (the facts are still kept when it is reserved for a
-- launch not recorded yet: its events outran Studio's answer, and `record_launch` hands them
-- over); else [attempt JSON, answered (0/1), encoded facts...] where the facts are every
-- stored fact except those stored exactly as this call's first delivery of their key sent
-- them: the caller already holds those.
local ttl = ARGV[1]
local out = {}
local i = 2
for c = 4, #KEYS do
  local id, n = ARGV[i], tonumber(ARGV[i + 1])
  local first, last = i + 2, i + 1 + 2 * n
  i = last + 1
  local attempt = redis.call('HGET', KEYS[1], id)
  if not attempt and redis.call('HEXISTS', KEYS[2], id) == 0 then
    out[#out + 1] = 0
  else
    local sent = {}
    for j = first, last, 2 do
      redis.call('HSETNX', KEYS[c], ARGV[j], ARGV[j + 1])
      if sent[ARGV[j]] == nil then
        sent[ARGV[j]] = ARGV[j + 1]
      end
    end
    redis.call('EXPIRE', KEYS[c], ttl)
    if not attempt then
      out[#out + 1] = 0
    else
      local sid = cjson.decode(attempt)['execution_sid']
      local reply = {attempt, redis.call('SISMEMBER', KEYS[3], sid)}
      local stored = redis.call('HGETALL', KEYS[c])
      for j = 1, #stored, 2 do
        if sent[stored[j]] ~= stored[j + 1] then
          reply[#reply + 1] = stored[j + 1]
        end
      end
      out[#out + 1] = reply
    end
  end
end
return cjson.encode(out)
