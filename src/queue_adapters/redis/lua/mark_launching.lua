-- Mark a claim as reserved for launch, with the time, unless gone or already launched.
-- KEYS: claims, launching, attempts, lease  (one execution's slot)
-- ARGV: claim id, now, lease token ('' = no lease check)
-- Returns 1, or (marking nothing) when a token is given and it is not the lease's current
-- one, because the lease expired or another instance took it over: 2 when the claim was never
-- marked (the caller lets its pair go), 3 when an earlier reservation marked it (its launch may
-- have happened, so the pair keeps matching its webhooks until the claim is reconciled).
if ARGV[3] ~= '' and redis.call('HGET', KEYS[4], 'token') ~= ARGV[3] then
  if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
    return 3
  end
  return 2
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
    and redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then
  redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
end
return 1
