-- Point a global index key ((To, From) pair, execution SID or call SID) at a contact, unless
-- another contact holds it. KEYS: index key   ARGV: contact ref, TTL (ms)
-- Returns 1 when the key is now (or already was) this contact's, 0 when another holds it.
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
