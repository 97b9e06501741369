-- Finish a claim with its disposition: the first step of exactly-once publishing.
-- KEYS: claims, owners, claimed_at, launching, attempts, answered, active_calls, state,
--       outbox, facts of this claim  (one execution's slot)
-- ARGV: claim id, person answered (0/1), abandoned (0/1), then the disposition's field/value
--       pairs
-- When the claim exists: drop it and everything kept for it, count the disposition (and the
-- person-answered and abandoned call), and append it to the outbox (with its claim id).
-- Returns the outbox entry id, or false when the claim was already settled (or returned):
-- then nothing changes.
local id = ARGV[1]
if redis.call('HDEL', KEYS[1], id) == 0 then
  return false
end
local attempt = redis.call('HGET', KEYS[5], id)
if attempt then
  local sid = cjson.decode(attempt)['execution_sid']
  redis.call('SREM', KEYS[7], sid)
  redis.call('SREM', KEYS[6], sid)
end
redis.call('HDEL', KEYS[2], id)
redis.call('HDEL', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[5], id)
redis.call('DEL', KEYS[10])
redis.call('HINCRBY', KEYS[8], 'dispositions', 1)
if ARGV[2] == '1' then
  redis.call('HINCRBY', KEYS[8], 'human_answered', 1)
end
if ARGV[3] == '1' then
  redis.call('HINCRBY', KEYS[8], 'abandoned', 1)
end
return redis.call('XADD', KEYS[9], '*', 'claim_id', ARGV[1], unpack(ARGV, 4))
