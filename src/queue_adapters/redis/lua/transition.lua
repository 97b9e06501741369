-- A state transition, on the condition that the stored state is still the one it was decided
-- on (compare-and-set), with every effect of the table's entry in the same step.
-- KEYS: queue:state:{<id>}, active_calls:{<id>}  (one slot)
-- ARGV: expected state, new state, now, reason, request id, stores (1/0), keeps cause (1/0),
--       resets counts (1/0), the event's fields as a JSON object ('' = none), the event's id,
--       the campaign's 30-day abandonment rate for the event ('' = none), stores the campaign
--       id (1/0), the campaign id
-- Returns false when the stored state is not the expected one (nothing changed); else the
-- execution's events not yet published, oldest first: JSON [[event id, fields], ...].
-- A hash without `state` (counts only, or nothing) is idle.
if (redis.call('HGET', KEYS[1], 'state') or 'idle') ~= ARGV[1] then
  return false
end
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], 'state', ARGV[2], 'updated_at', ARGV[3])
  if ARGV[7] == '0' then
    redis.call('HSET', KEYS[1], 'reason', ARGV[4], 'request_id', ARGV[5])
  end
  if ARGV[8] == '1' then
    redis.call('HSET', KEYS[1], 'launched', '0', 'dispositions', '0')
    redis.call('HSET', KEYS[1], 'human_answered', '0', 'abandoned', '0')
  end
end
if ARGV[6] == '1' and ARGV[12] == '1' then
  redis.call('HSET', KEYS[1], 'campaign_id', ARGV[13])
end
local pending = cjson.decode(redis.call('HGET', KEYS[1], 'events') or '[]')
if ARGV[9] ~= '' then
  local event = cjson.decode(ARGV[9])
  local held = redis.call(
    'HMGET', KEYS[1], 'launched', 'dispositions', 'reason', 'request_id', 'human_answered',
    'abandoned')
  event['launched'] = held[1] or '0'
  event['dispositions'] = held[2] or '0'
  event['human_answered'] = held[5] or '0'
  event['abandoned'] = held[6] or '0'
  if ARGV[11] ~= '' then
    event['campaign_abandon_rate_30d'] = ARGV[11]
  end
  event['active'] = tostring(redis.call('SCARD', KEYS[2]))
  if ARGV[7] == '1' then
    event['reason'] = (held[3] ~= false and held[3] ~= '') and held[3] or nil
    event['request_id'] = (held[4] ~= false and held[4] ~= '') and held[4] or nil
  end
  pending[#pending + 1] = {ARGV[10], event}
  redis.call('HSET', KEYS[1], 'events', cjson.encode(pending))
end
if #pending == 0 then
  return '[]'
end
return cjson.encode(pending)
