-- One execution's row for the live page, as one JSON string: one reply to parse instead of
-- one per field (ADR 0029).
-- KEYS: state, cache, active_calls, claims, waiting_counts  (one execution's slot)
-- Returns [{field: value of the state hash, less its unpublished `events`}, cache length,
-- calls in flight, claims, records waiting for their window or a retry].
local flat = redis.call('HGETALL', KEYS[1])
local state = {}
for i = 1, #flat, 2 do
  if flat[i] ~= 'events' then state[flat[i]] = flat[i + 1] end
end
if next(state) == nil then state = cjson.decode('{}') end
return cjson.encode({
  state,
  redis.call('LLEN', KEYS[2]),
  redis.call('SCARD', KEYS[3]),
  redis.call('HLEN', KEYS[4]),
  (tonumber(redis.call('HGET', KEYS[5], 'window')) or 0)
    + (tonumber(redis.call('HGET', KEYS[5], 'retry')) or 0),
})
