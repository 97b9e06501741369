-- Take one launch from the account's sliding window, on the store's own clock (TIME), so
-- instances with skewed clocks agree. Redis >= 5 replicates a script's effects, not the script,
-- so reading TIME before a write needs no redis.replicate_commands() on 6.2 or 7.x.
-- KEYS: window, seq  (one slot)   ARGV: capacity, window (us), least gap between grants (us)
-- Returns 0 when taken, else the microseconds until a grant may be taken.
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local capacity = tonumber(ARGV[1])
local window_us = tonumber(ARGV[2])
local gap_us = tonumber(ARGV[3])
-- A grant exactly one window old has left it.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_us - window_us)
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
-- No bursts: grants are at least the gap apart, so that the jitter between a grant and the
-- launch reaching Twilio cannot pile a window's worth of launches into one instant.
if newest[2] and tonumber(newest[2]) + gap_us > now_us then
  return math.max(1, tonumber(newest[2]) + gap_us - now_us)
end
if redis.call('ZCARD', KEYS[1]) < capacity then
  local n = redis.call('INCR', KEYS[2])
  local member = now[1] .. string.format('%06d', tonumber(now[2])) .. ':' .. n
  redis.call('ZADD', KEYS[1], now_us, member)
  redis.call('PEXPIRE', KEYS[1], math.ceil(window_us / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window_us - now_us)
