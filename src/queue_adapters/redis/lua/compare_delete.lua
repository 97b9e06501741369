-- Delete an index key only while it still points at this contact.
-- KEYS: index key   ARGV: contact ref   Returns 1 when deleted.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
