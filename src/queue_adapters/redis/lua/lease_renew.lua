-- Extend a lease while this owner's token is still the current one.
-- KEYS: lease   ARGV: owner, token, TTL (ms)   Returns 1 when extended, 0 when lost.
local holder = redis.call('HMGET', KEYS[1], 'owner', 'token')
if holder[1] == ARGV[1] and holder[2] == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
