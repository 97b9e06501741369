-- Take an execution's lease, or extend it when this owner already holds it.
-- KEYS: lease, lease_seq  (one execution's slot)   ARGV: owner, TTL (ms)
-- Returns the fencing token (a new one from the never-reset counter when the lease was free or
-- had expired, the held one when extended), or false while another owner holds it.
local holder = redis.call('HMGET', KEYS[1], 'owner', 'token')
if holder[1] then
  if holder[1] ~= ARGV[1] then
    return false
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(holder[2])
end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token
