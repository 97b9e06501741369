-- Give waiting records their final disposition: each leaves the waiting set and its
-- disposition is added to a stream in the same step, so it is published once or not at all.
-- KEYS: waiting, waiting_records, waiting_counts, state  (the execution's slot), then the
--       stream: call_dispositions on one server (ADR 0009), or the execution's outbox
-- ARGV: approximate MAXLEN (0 = none), outbox (1: each entry starts with the `claim_id` field
--       an outbox entry has, the waiting id), then per record: its waiting id, the number of
--       its field/value pairs, the pairs
-- A record no longer waiting (taken or finished meanwhile) is skipped; each one finished
-- counts in the execution's `dispositions`.
-- Returns per record the new entry id, or false when it was skipped.
local out = {}
local i = 3
while i <= #ARGV do
  local wid, n = ARGV[i], tonumber(ARGV[i + 1])
  local fields = {}
  if ARGV[2] == '1' then
    fields = {'claim_id', wid}
  end
  for j = i + 2, i + 1 + 2 * n do
    fields[#fields + 1] = ARGV[j]
  end
  i = i + 2 + 2 * n
  local entry = redis.call('HGET', KEYS[2], wid)
  if entry then
    local reason = string.match(entry, '^%d+:([^:]*):')
    if tonumber(ARGV[1]) > 0 then
      out[#out + 1] = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
    else
      out[#out + 1] = redis.call('XADD', KEYS[5], '*', unpack(fields))
    end
    redis.call('ZREM', KEYS[1], wid)
    redis.call('HDEL', KEYS[2], wid)
    redis.call('HINCRBY', KEYS[3], reason, -1)
    redis.call('HINCRBY', KEYS[4], 'dispositions', 1)
  else
    out[#out + 1] = false
  end
end
return out
