-- Index a recorded launch's execution SID and hand over the facts parked for it.
-- KEYS: SID index, parked facts  (the SID's slot)   ARGV: contact ref, TTL (ms)
-- Returns {held, fact, fact, ...}: held is 1 when the index is (now) this contact's, 0 when
-- another contact holds it (then nothing changes and no fact is handed over).
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return {0}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local parked = redis.call('HVALS', KEYS[2])
redis.call('DEL', KEYS[2])
table.insert(parked, 1, 1)
return parked
