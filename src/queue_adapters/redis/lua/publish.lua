-- Publish one outbox entry on call_dispositions unless it already was: the second step.
-- KEYS: call_dispositions, published marker  (one slot: the marker carries the stream's tag)
-- ARGV: marker TTL (s), approximate MAXLEN (0 = none), then the field/value pairs
-- Returns the new entry id, or false when the marker says it was published already.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return false
end
local entry
if tonumber(ARGV[2]) > 0 then
  entry = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
else
  entry = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
end
redis.call('SET', KEYS[2], entry, 'EX', ARGV[1])
return entry
