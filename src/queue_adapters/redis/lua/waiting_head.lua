-- The earliest waiting records of an execution, whatever their due time.
-- KEYS: waiting, waiting_records  (one execution's slot)
-- ARGV: limit
-- Returns waiting id1, due1, entry1, ... in due order.
local head = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local out = {}
for i = 1, #head, 2 do
  out[#out + 1] = head[i]
  out[#out + 1] = head[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], head[i])
end
return out
