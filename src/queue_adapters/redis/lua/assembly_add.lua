-- Add facts to a contact's assembly, first delivery of each key wins.
-- KEYS: attempts, facts of this claim, launching  (one execution's slot)
-- ARGV: claim id, TTL (s), then fact key/encoded fact pairs
-- Returns {attempt JSON, {encoded facts...}} for a launched contact. Returns false otherwise;
-- the facts are still kept when the claim is reserved for a launch not recorded yet (its
-- events outran Studio's answer): `record_launch` hands them over.
local attempt = redis.call('HGET', KEYS[1], ARGV[1])
if not attempt and redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then
  return false
end
for i = 3, #ARGV, 2 do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
if not attempt then
  return false
end
return {attempt, redis.call('HVALS', KEYS[2])}
