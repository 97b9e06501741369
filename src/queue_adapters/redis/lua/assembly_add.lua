-- Add facts to a launched contact's assembly, first delivery of each key wins.
-- KEYS: attempts, facts of this claim  (one execution's slot)
-- ARGV: claim id, TTL (s), then fact key/encoded fact pairs
-- Returns {attempt JSON, {encoded facts...}}, or false when no attempt is stored.
local attempt = redis.call('HGET', KEYS[1], ARGV[1])
if not attempt then
  return false
end
for i = 3, #ARGV, 2 do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
return {attempt, redis.call('HVALS', KEYS[2])}
