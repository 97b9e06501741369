-- Settle a claim, publish its disposition and let its indexes go in one step, on one server:
-- settle.lua, publish.lua, the outbox XDEL and compare_delete.lua, which a cluster runs one
-- after another because the stream and each index have a slot of their own. Atomic, so no
-- outbox entry and no published marker are needed: the disposition is added to the stream in
-- the step that drops the claim, or not at all.
-- KEYS: claims, owners, claimed_at, launching, attempts, answered, active_calls, state, facts
--       of this claim, waited, waiting, waiting_records, waiting_counts  (the execution's
--       slot), call_dispositions, the campaign's day when the disposition counts in one (the
--       stream's slot), then the index keys to let go (none, or the contact's pair and SID,
--       and its call's)
-- ARGV: claim id, approximate MAXLEN (0 = none), contact ref (the index value), person
--       answered (0/1), abandoned (0/1), the campaign day's EXPIREAT (unix s; 0 = no day),
--       retry due (unix s; "" = final), next attempt, last status, then the disposition's
--       field/value pairs
-- When the claim exists: add the disposition to call_dispositions, drop the claim and
-- everything kept for it, count it (and the person-answered and abandoned call, in the
-- execution and in the campaign's day), and, for a retry, put the record into the waiting set
-- (its claim id as waiting id). Whether or not it existed, delete each index key that still
-- points at the contact. Returns the stream entry id, or false when the claim was already
-- settled (or returned): then nothing else changes.
local id = ARGV[1]
local entry = false
local day = ARGV[6] ~= '0' and 15 or nil
local raw = redis.call('HGET', KEYS[1], id)
if raw then
  -- The first write: when it fails (a wrong MAXLEN, a full memory), nothing has changed.
  if tonumber(ARGV[2]) > 0 then
    entry = redis.call('XADD', KEYS[14], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 10))
  else
    entry = redis.call('XADD', KEYS[14], '*', unpack(ARGV, 10))
  end
  local attempt = redis.call('HGET', KEYS[5], id)
  if attempt then
    local sid = cjson.decode(attempt)['execution_sid']
    redis.call('SREM', KEYS[7], sid)
    redis.call('SREM', KEYS[6], sid)
  end
  for _, k in ipairs({1, 2, 3, 4, 5, 10}) do
    redis.call('HDEL', KEYS[k], id)
  end
  redis.call('DEL', KEYS[9])
  redis.call('HINCRBY', KEYS[8], 'dispositions', 1)
  if ARGV[4] == '1' then
    redis.call('HINCRBY', KEYS[8], 'human_answered', 1)
  end
  if ARGV[5] == '1' then
    redis.call('HINCRBY', KEYS[8], 'abandoned', 1)
  end
  if day then
    redis.call('HINCRBY', KEYS[day], 'human_answered', 1)
    if ARGV[5] == '1' then
      redis.call('HINCRBY', KEYS[day], 'abandoned', 1)
    end
    redis.call('EXPIREAT', KEYS[day], ARGV[6])
  end
  if ARGV[7] ~= '' then
    redis.call('ZADD', KEYS[11], ARGV[7], id)
    redis.call('HSET', KEYS[12], id, ARGV[8] .. ':retry:' .. ARGV[9] .. ':' .. raw)
    redis.call('HINCRBY', KEYS[13], 'retry', 1)
  end
end
for k = (day or 14) + 1, #KEYS do
  if redis.call('GET', KEYS[k]) == ARGV[3] then
    redis.call('DEL', KEYS[k])
  end
end
return entry
