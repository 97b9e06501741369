-- Count a call in flight as answered. KEYS: active_calls, answered   ARGV: execution SID
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[1])
end
return 1
