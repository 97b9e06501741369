-- Give a lease up while this owner's token is still the current one (the counter stays).
-- KEYS: lease   ARGV: owner, token   Returns 1 when released, 0 when it was not ours.
local holder = redis.call('HMGET', KEYS[1], 'owner', 'token')
if holder[1] == ARGV[1] and holder[2] == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
