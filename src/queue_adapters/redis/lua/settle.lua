-- Finish a claim with its disposition: the first step of exactly-once publishing.
-- KEYS: claims, owners, claimed_at, launching, attempts, answered, active_calls, state,
--       outbox, facts of this claim, waited, waiting, waiting_records, waiting_counts
--       (one execution's slot)
-- ARGV: claim id, person answered (0/1), abandoned (0/1), retry due (unix s; "" = final),
--       next attempt, last status, then the disposition's field/value pairs
-- When the claim exists: drop it and everything kept for it, count the disposition (and the
-- person-answered and abandoned call), append it to the outbox (with its claim id), and, for
-- a retry, put the record into the waiting set (its claim id as waiting id).
-- Returns the outbox entry id, or false when the claim was already settled (or returned):
-- then nothing changes.
local id = ARGV[1]
local raw = redis.call('HGET', KEYS[1], id)
if not raw then
  return false
end
local attempt = redis.call('HGET', KEYS[5], id)
if attempt then
  local sid = cjson.decode(attempt)['execution_sid']
  redis.call('SREM', KEYS[7], sid)
  redis.call('SREM', KEYS[6], sid)
end
for _, k in ipairs({1, 2, 3, 4, 5, 11}) do
  redis.call('HDEL', KEYS[k], id)
end
redis.call('DEL', KEYS[10])
redis.call('HINCRBY', KEYS[8], 'dispositions', 1)
if ARGV[2] == '1' then
  redis.call('HINCRBY', KEYS[8], 'human_answered', 1)
end
if ARGV[3] == '1' then
  redis.call('HINCRBY', KEYS[8], 'abandoned', 1)
end
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[12], ARGV[4], id)
  redis.call('HSET', KEYS[13], id, ARGV[5] .. ':retry:' .. ARGV[6] .. ':' .. raw)
  redis.call('HINCRBY', KEYS[14], 'retry', 1)
end
return redis.call('XADD', KEYS[9], '*', 'claim_id', ARGV[1], unpack(ARGV, 7))
