-- A replica's heartbeat, and the store's incarnation, started when there is none.
-- KEYS: replicas, incarnation. ARGV: replica, now ms, heartbeat lasts ms, an id for a new incarnation,
-- incarnation kept ms. Returns {how many replicas are alive, the store's incarnation}.
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
local inc = redis.call('GET', KEYS[2])
if not inc then
  inc = ARGV[4]
  redis.call('SET', KEYS[2], inc)
end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {redis.call('ZCARD', KEYS[1]), inc}
