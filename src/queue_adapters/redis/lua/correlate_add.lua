-- A webhook batch in one step, on one server: look the index keys up (as MGET does) and add
-- the facts to the assemblies of the contacts they name and of contacts already known (as
-- assembly_add.lua does, first delivery of each key wins). The contacts' keys are made here,
-- from the index values and the key templates, so they cannot be declared in KEYS: a cluster
-- would refuse them, and takes an MGET then assembly_add.lua per execution instead.
-- KEYS: index keys ((To, From) pairs, then execution SIDs, then call SIDs)
-- ARGV: TTL (s); the text before and after the execution id in the keys of the attempts,
--       launching and answered hashes and in the facts prefix (8 strings; a facts key is its
--       prefix and the claim id); the number of known contacts, then for each: execution id,
--       claim id, fact count n, n fact key/encoded fact pairs; then for each index key in KEYS
--       order: fact count n, n pairs.
-- A contact gets one add with all its facts: those given as known first, then those of its
-- index keys in KEYS order. Facts of an index key that names no contact are not added.
-- Returns a JSON array [holders, replies]: holders[i] is the value of KEYS[i], or 0 when none;
-- replies holds one [execution id, claim id, reply] per contact, known ones first, then in the
-- order their index keys come, where reply is what assembly_add.lua answers for a claim.
local ttl = ARGV[1]
local function key(n, execution_id)
  return ARGV[2 * n] .. execution_id .. ARGV[2 * n + 1]
end
local contacts = {}
local by_execution = {}
local function contact(execution_id, claim_id)
  local claims = by_execution[execution_id]
  if not claims then
    claims = {}
    by_execution[execution_id] = claims
  end
  local one = claims[claim_id]
  if not one then
    one = {execution_id, claim_id, {}}
    claims[claim_id] = one
    contacts[#contacts + 1] = one
  end
  return one
end
-- Append the facts counted at ARGV[i] to `one` (none: skip them); the index after them.
local function take(one, i)
  local last = i + 2 * tonumber(ARGV[i])
  if one then
    local facts = one[3]
    for j = i + 1, last do
      facts[#facts + 1] = ARGV[j]
    end
  end
  return last + 1
end
local i = 11
for _ = 1, tonumber(ARGV[10]) do
  i = take(contact(ARGV[i], ARGV[i + 1]), i + 2)
end
local holders = {}
for k = 1, #KEYS do
  local value = redis.call('GET', KEYS[k])
  local one = nil
  if value then
    local ref = cjson.decode(value)
    one = contact(ref[1], ref[2])
  end
  holders[k] = value or 0
  i = take(one, i)
end
local replies = {}
for _, one in ipairs(contacts) do
  local execution_id, id, facts = one[1], one[2], one[3]
  local reply = 0
  local attempt = redis.call('HGET', key(1, execution_id), id)
  if attempt or redis.call('HEXISTS', key(2, execution_id), id) == 1 then
    local hash = key(4, execution_id) .. id
    local sent = {}
    for j = 1, #facts, 2 do
      redis.call('HSETNX', hash, facts[j], facts[j + 1])
      if sent[facts[j]] == nil then
        sent[facts[j]] = facts[j + 1]
      end
    end
    redis.call('EXPIRE', hash, ttl)
    if attempt then
      local sid = cjson.decode(attempt)['execution_sid']
      reply = {attempt, redis.call('SISMEMBER', key(3, execution_id), sid)}
      local stored = redis.call('HGETALL', hash)
      for j = 1, #stored, 2 do
        if sent[stored[j]] ~= stored[j + 1] then
          reply[#reply + 1] = stored[j + 1]
        end
      end
    end
  end
  replies[#replies + 1] = {execution_id, id, reply}
end
return cjson.encode({holders, replies})
