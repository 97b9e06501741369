-- Mark a claim as reserved for launch, with the time, unless gone or already launched.
-- KEYS: claims, launching, attempts  (one execution's slot)   ARGV: claim id, now
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
    and redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then
  redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
end
return 1
