-- Reserve the account's next launch slot, on the store's own clock (TIME), so instances with
-- skewed clocks agree. Redis >= 5 replicates a script's effects, not the script, so reading
-- TIME before a write needs no redis.replicate_commands() on 6.2 or 7.x.
-- KEYS: slots (ZSET of reserved slot times, us), next (STRING: when the schedule's next slot
--       is due, us), seq (STRING counter)   (one slot)
-- ARGV: capacity, window (us, guard included), spacing (us), late allowance (us), horizon (us)
-- Slots follow one schedule, a spacing apart: an ask on time or early gets the schedule's next
-- slot; one a little late (up to the allowance) gets now and the schedule keeps its pace; one
-- later than that (the account was idle) starts a new schedule from now, so idle time never
-- turns into a burst. Whatever the schedule says, at most `capacity` slots lie in any window.
-- Returns {1, us until the reserved slot}, or {0, us to wait before asking again} when the
-- slot would lie beyond the horizon (nothing is reserved).
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local capacity = tonumber(ARGV[1])
local window_us = tonumber(ARGV[2])
local spacing_us = tonumber(ARGV[3])
local late_us = tonumber(ARGV[4])
local horizon_us = tonumber(ARGV[5])
-- A slot a whole window before now can bind no slot from now on.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_us - window_us)
local due = tonumber(redis.call('GET', KEYS[2]) or '0')
local restart = now_us > due + late_us
-- On time or early: the schedule's slot. Late: now (a little late keeps the schedule).
local base = math.max(now_us, due)
local slot = base
local nth = redis.call('ZRANGE', KEYS[1], -capacity, -capacity, 'WITHSCORES')
if nth[2] and redis.call('ZCARD', KEYS[1]) >= capacity then
  slot = math.max(slot, tonumber(nth[2]) + window_us)
end
if slot - now_us > horizon_us then
  return {0, slot - now_us - horizon_us}
end
local next_due = due + spacing_us
if restart or slot > base then
  next_due = slot + spacing_us
end
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], slot, n)
local ttl_ms = math.ceil((slot - now_us + window_us) / 1000) + 1000
redis.call('SET', KEYS[2], next_due, 'PX', ttl_ms)
redis.call('PEXPIRE', KEYS[1], ttl_ms)
return {1, slot - now_us}
