-- Park facts of a Studio execution whose launch is not recorded yet, unless it now is.
-- KEYS: SID index, parked facts  (the SID's slot)
-- ARGV: TTL (ms), then fact key, encoded fact, fact key, encoded fact, ...
-- Returns the contact ref when the SID is indexed (nothing parked), else false.
local holder = redis.call('GET', KEYS[1])
if holder then
  return holder
end
for i = 2, #ARGV, 2 do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return false
