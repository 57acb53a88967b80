-- An admission, atomically: the incarnation check, lapsed holds swept, the budget checked and held, both rates
-- checked and counted.
-- KEYS: budget hash, holds, rate slots, incarnation, entries (kept as long as the hash).
-- ARGV: 1 now ms, 2 hold id, 3 estimate, 4 budget (-1 none), 5 incarnation the replica synced with, 6 hold lapses
-- at ms, 7 budget keys kept ms, 8 tokens, 9 rpm, 10 tpm, 11 budget resets at ms (-1 never).
-- Returns {verdict (0 admitted, 1 budget, 2 rpm, 3 tpm, 4 unknown incarnation), spent, retry at ms (-1 never)}.
if redis.call('GET', KEYS[4]) ~= ARGV[5] then return {4, 0, -1} end
local now = tonumber(ARGV[1])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  local held = redis.call('HGET', KEYS[1], 'h:' .. id)
  if held then
    redis.call('HINCRBY', KEYS[1], 'reserved', string.format('%d', -tonumber(held)))
    redis.call('HDEL', KEYS[1], 'h:' .. id)
  end
  redis.call('ZREM', KEYS[2], id)
end
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
if reserved < 0 then
  reserved = 0
  redis.call('HSET', KEYS[1], 'reserved', '0')
end
local nanos = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
if budget >= 0 and spent + reserved + nanos > budget then
  if nanos > budget then return {1, spent, -1} end
  return {1, spent, tonumber(ARGV[11])}
end
local rpm = tonumber(ARGV[9])
local tpm = tonumber(ARGV[10])
local tokens = tonumber(ARGV[8])
local sec = math.floor(now / 1000)
if rpm > 0 or tpm > 0 then
  local live = {}
  local requests, used = 0, 0
  local slots = redis.call('HGETALL', KEYS[3])
  for i = 1, #slots, 2 do
    local s, r, t = string.match(slots[i + 1], '^(%-?%d+) (%-?%d+) (%-?%d+)$')
    s = tonumber(s)
    if s and s > sec - 60 and s <= sec then
      requests = requests + tonumber(r)
      used = used + tonumber(t)
      table.insert(live, {s, tonumber(r), tonumber(t)})
    end
  end
  if used < 0 then used = 0 end
  table.sort(live, function(x, y) return x[1] < y[1] end)
  local function frees(excess, field)
    local freed = 0
    for _, e in ipairs(live) do
      freed = freed + e[field]
      if freed >= excess then return (e[1] + 60) * 1000 end
    end
    return (sec + 60) * 1000
  end
  if rpm > 0 and requests + 1 > rpm then return {2, spent, frees(requests + 1 - rpm, 2)} end
  if tpm > 0 and used + tokens > tpm then
    if tokens > tpm then return {3, spent, -1} end
    return {3, spent, frees(used + tokens - tpm, 3)}
  end
  local slot = tostring(sec % 60)
  local r, t = 0, 0
  local cur = redis.call('HGET', KEYS[3], slot)
  if cur then
    local s, cr, ct = string.match(cur, '^(%-?%d+) (%-?%d+) (%-?%d+)$')
    if tonumber(s) == sec then
      r = tonumber(cr)
      t = tonumber(ct)
    end
  end
  redis.call('HSET', KEYS[3], slot, string.format('%d %d %d', sec, r + 1, t + tokens))
  redis.call('PEXPIRE', KEYS[3], 120000)
end
redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[3])
redis.call('HSET', KEYS[1], 'h:' .. ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('PEXPIRE', KEYS[5], ARGV[7])
return {0, spent, 0}
