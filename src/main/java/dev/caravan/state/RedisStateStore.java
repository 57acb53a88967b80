package dev.caravan.state;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * The shared store on Redis. Each write is one Lua script, so that comparing with the value already there and
 * replacing it is atomic; a replica's writes and reads of one refresh go in one pipeline (one round trip). A value
 * is kept as {@code "<order> <value>"}; the order is what the scripts compare.
 */
public final class RedisStateStore implements StateStore {

    /** KEYS[1]; ARGV: order, stored value, ttl in ms. Keeps the value ordered last. */
    private static final String KEEP_LATER = """
            local cur = redis.call('GET', KEYS[1])
            if cur then
              local order = tonumber(string.match(cur, '^(-?%d+)'))
              if order and order > tonumber(ARGV[1]) then return 0 end
            end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return 1""";

    /** KEYS[1]; ARGV: owner, ttl in ms. Grants or extends the owner's hold, refuses while another's lasts. */
    private static final String LEASE = """
            local cur = redis.call('GET', KEYS[1])
            if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
            if cur then return 0 end
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1""";

    private final RedisClient client;
    private final String prefix;

    public RedisStateStore(URI url, String prefix, Duration timeout) {
        this(connect(url, timeout, 8, null), prefix);
    }

    /** Over {@code client}, closed with this store. */
    public RedisStateStore(RedisClient client, String prefix) {
        this.prefix = prefix;
        this.client = client;
    }

    /** A pooled client of the Redis {@code state} names, TLS checked against its trust store if it has one. */
    public static RedisClient connect(StateSettings state, int connections) {
        return connect(state.redisUrl(), state.timeout(), connections, state.redisTls());
    }

    public static RedisClient connect(URI url, Duration timeout, int connections) {
        return connect(url, timeout, connections, null);
    }

    /**
     * A pooled client of the Redis at {@code url} (user, password, database and TLS as the URL says), whose calls
     * give up after {@code timeout}. Over TLS, the server's certificate and host name are checked, against
     * {@code trust} or else the JVM's trusted authorities.
     */
    public static RedisClient connect(URI url, Duration timeout, int connections, StateSettings.RedisTrust trust) {
        int millis = (int) Math.max(1, timeout.toMillis());
        boolean tls = JedisURIHelper.isRedisSSLScheme(url);
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis).socketTimeoutMillis(millis)
                .ssl(tls).clientName("caravan");
        if (tls && trust != null) {
            config.sslOptions(SslOptions.builder().truststore(trust.file().toFile(), trust.password())
                    .trustStoreType(java.security.KeyStore.getDefaultType()).sslVerifyMode(SslVerifyMode.FULL)
                    .build());
        }
        String user = JedisURIHelper.getUser(url);
        String password = JedisURIHelper.getPassword(url);
        if (user != null && !user.isEmpty()) {
            config.user(user);
        }
        if (password != null && !password.isEmpty()) {
            config.password(password);
        }
        if (JedisURIHelper.hasDbIndex(url)) {
            config.database(JedisURIHelper.getDBIndex(url));
        }
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(connections);
        pool.setMaxIdle(connections);
        // a lost store must not hold a thread longer than one exchange may take
        pool.setMaxWait(timeout);
        return RedisClient.builder().hostAndPort(JedisURIHelper.getHostAndPort(url))
                .clientConfig(config.build()).poolConfig(pool).build();
    }

    @Override
    public List<String> exchange(List<Write> writes, List<String> keys) {
        try (AbstractPipeline pipeline = client.pipelined()) {
            for (Write w : writes) {
                pipeline.eval(KEEP_LATER, List.of(prefix + w.key()), List.of(Long.toString(w.order()),
                        w.order() + " " + w.value(), Long.toString(Math.max(1, w.ttl().toMillis()))));
            }
            Response<List<String>> read = keys.isEmpty() ? null
                    : pipeline.mget(keys.stream().map(k -> prefix + k).toArray(String[]::new));
            pipeline.sync();
            if (read == null) {
                return List.of();
            }
            List<String> values = new ArrayList<>(keys.size());
            for (String stored : read.get()) {
                values.add(stored == null ? null : stored.substring(stored.indexOf(' ') + 1));
            }
            return values;
        } catch (JedisException e) {
            throw new Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean lease(String key, String owner, Duration ttl) {
        try {
            Object granted = client.eval(LEASE, List.of(prefix + key),
                    List.of(owner, Long.toString(Math.max(1, ttl.toMillis()))));
            return Long.valueOf(1).equals(granted);
        } catch (JedisException e) {
            throw new Unavailable("Redis: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
