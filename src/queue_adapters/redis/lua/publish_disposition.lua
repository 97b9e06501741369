-- Publish one outbox entry on call_dispositions unless it already was, and count it in its
-- campaign's day: the second step of a cluster's settle (publish.lua, plus the count).
-- KEYS: call_dispositions, published marker, then the campaign's day when the disposition
--       counts in one  (one slot: the marker and the day carry the stream's tag)
-- ARGV: marker TTL (s), approximate MAXLEN (0 = none), abandoned (0/1), the day's EXPIREAT
--       (unix s), then the field/value pairs
-- Returns the new entry id, or false when the marker says it was published (and counted)
-- already: a disposition counts in its campaign exactly when it is published, once.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return false
end
local entry
if tonumber(ARGV[2]) > 0 then
  entry = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 5))
else
  entry = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 5))
end
redis.call('SET', KEYS[2], entry, 'EX', ARGV[1])
if KEYS[3] then
  redis.call('HINCRBY', KEYS[3], 'human_answered', 1)
  if ARGV[3] == '1' then
    redis.call('HINCRBY', KEYS[3], 'abandoned', 1)
  end
  redis.call('EXPIREAT', KEYS[3], ARGV[4])
end
return entry
