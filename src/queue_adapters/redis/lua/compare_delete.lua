-- Delete index keys only while they still point at this contact.
-- KEYS: index keys (one, or several on a single server: a cluster takes one per call)
-- ARGV: contact ref   Returns how many were deleted.
local deleted = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    deleted = deleted + redis.call('DEL', key)
  end
end
return deleted
