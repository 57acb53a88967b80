package dev.caravan.state;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Stored responses in Redis, shared by every replica: each record a key with its own expiry, and one sorted set of
 * ids by write time that holds the bound. A write is one Lua script (store, index, drop what is beyond the bound),
 * so that replicas writing at once never leave the index and the records apart.
 */
public final class RedisResponseRecords implements ResponseRecords {

    /**
     * KEYS[1] the record, KEYS[2] the index; ARGV: id, record, ttl ms, now ms, bound, the records' key prefix.
     * Records dropped for the bound are named through the prefix: they are not known before the script runs.
     */
    private static final String PUT = """
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(ARGV[4]) - tonumber(ARGV[3])))
            local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
            if over > 0 then
              for _, old in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
                redis.call('DEL', ARGV[6] .. old)
              end
              redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
            end
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
            return 1""";

    /** KEYS[1] the record, KEYS[2] the index; ARGV[1] the id. The number of records dropped, 0 or 1. */
    private static final String REMOVE = """
            local dropped = redis.call('DEL', KEYS[1])
            redis.call('ZREM', KEYS[2], ARGV[1])
            return dropped""";

    private final RedisClient client;
    private final String records;
    private final String index;
    private final int maxEntries;
    private final Duration ttl;
    private final Clock clock;

    /** @param prefix put before every key, as for the rest of the shared state ({@code caravan.state.key-prefix}) */
    public RedisResponseRecords(URI url, String prefix, Duration timeout, int maxEntries, Duration ttl, Clock clock) {
        this(RedisStateStore.connect(url, timeout, 8), prefix, maxEntries, ttl, clock);
    }

    /** Over {@code client}, closed with these records. */
    public RedisResponseRecords(RedisClient client, String prefix, int maxEntries, Duration ttl, Clock clock) {
        this.records = prefix + "response:";
        this.index = prefix + "responses";
        this.maxEntries = maxEntries;
        this.ttl = ttl;
        this.clock = clock;
        this.client = client;
    }

    @Override
    public void put(String id, String record) {
        once(() -> client.eval(PUT, List.of(records + id, index), List.of(id, record,
                Long.toString(Math.max(1, ttl.toMillis())), Long.toString(clock.millis()),
                Integer.toString(maxEntries), records)));
    }

    @Override
    public String get(String id) {
        return once(() -> client.get(records + id));
    }

    @Override
    public boolean remove(String id) {
        Object dropped = once(() -> client.eval(REMOVE, List.of(records + id, index), List.of(id)));
        return dropped instanceof Long n && n > 0;
    }

    /**
     * Runs {@code call}, again once on a broken connection: after Redis restarted, the pool still holds connections to
     * the old server, and the first use of each fails (and drops it) though Redis is there.
     */
    private <T> T once(Supplier<T> call) {
        try {
            try {
                return call.get();
            } catch (JedisConnectionException e) {
                return call.get();
            }
        } catch (JedisException e) {
            throw new StateStore.Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
