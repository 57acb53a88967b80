-- Settlements and seeding: takes each entry up to its value, never down, and spent to the sum of the entries;
-- then frees each hold still there (a store restarted empty has none: nothing goes below zero), correcting the
-- tokens it counted. Spend first: no moment without either.
-- KEYS: budget hash, holds, rate slots, entries.
-- ARGV: 1 budget keys kept ms, 2 n, then n pairs (entry, its settled spend), then triples (hold id, the hold's
-- second, tokens to correct by).
local n = tonumber(ARGV[2])
local grew = false
for i = 3, 2 + 2 * n, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[4], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > cur then
    redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
    grew = true
  end
end
if grew then
  local spent = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[4])) do spent = spent + tonumber(v) end
  redis.call('HSET', KEYS[1], 'spent', string.format('%d', spent))
end
if n > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  redis.call('PEXPIRE', KEYS[4], ARGV[1])
end
for i = 3 + 2 * n, #ARGV, 3 do
  local held = redis.call('HGET', KEYS[1], 'h:' .. ARGV[i])
  if held then
    redis.call('HINCRBY', KEYS[1], 'reserved', string.format('%d', -tonumber(held)))
    redis.call('HDEL', KEYS[1], 'h:' .. ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i])
    local delta = tonumber(ARGV[i + 2])
    local slot = tostring(tonumber(ARGV[i + 1]) % 60)
    local cur = delta ~= 0 and redis.call('HGET', KEYS[3], slot)
    if cur then
      local s, r, t = string.match(cur, '^(%-?%d+) (%-?%d+) (%-?%d+)$')
      if s == ARGV[i + 1] then
        redis.call('HSET', KEYS[3], slot, string.format('%s %s %d', s, r, tonumber(t) + delta))
      end
    end
  end
end
return 1
