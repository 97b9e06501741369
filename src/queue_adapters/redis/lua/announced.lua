-- Drop a published event from the execution's events not yet published (`transition.lua`).
-- KEYS: queue:state:{<id>}   ARGV: the event's id
-- Returns 1, or 0 when it was not there (another publisher dropped it first).
local raw = redis.call('HGET', KEYS[1], 'events')
if not raw then
  return 0
end
local pending = cjson.decode(raw)
local left = {}
for _, entry in ipairs(pending) do
  if entry[1] ~= ARGV[1] then
    left[#left + 1] = entry
  end
end
if #left == #pending then
  return 0
end
if #left == 0 then
  redis.call('HDEL', KEYS[1], 'events')
else
  redis.call('HSET', KEYS[1], 'events', cjson.encode(left))
end
return 1
