package dev.caravan.state;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.caravan.ConfigurationError;
import dev.caravan.GatewaySettings;

/**
 * Where the state replicas share lives ({@code caravan.state.*}).
 *
 * @param store           {@code local}: every replica keeps its own; {@code redis}: shared through Redis
 * @param redisUrl        {@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS; null when local
 * @param keyPrefix       put before every key Caravan writes, so that several gateways can share one Redis
 * @param onStoreLoss     what a replica does while Redis cannot be reached
 * @param refreshInterval how often a replica sends what it learnt and reads what the others learnt
 * @param timeout         how long one exchange with Redis may take before the store counts as lost
 * @param replicaId       this replica's name in the store (the recovery probe's lease names its owner)
 */
public record StateSettings(Store store, URI redisUrl, String keyPrefix, OnStoreLoss onStoreLoss,
        Duration refreshInterval, Duration timeout, String replicaId) {

    /** Where shared state lives. */
    public enum Store { LOCAL, REDIS }

    /** What a replica does while the store is unreachable. */
    public enum OnStoreLoss {
        /** Carry on with what this replica knows and learns itself; share again once the store is back. */
        LOCAL
    }

    private static final Set<String> KEYS = Set.of("caravan.state.store", "caravan.state.redis-url",
            "caravan.state.key-prefix", "caravan.state.on-store-loss", "caravan.state.refresh-interval",
            "caravan.state.timeout", "caravan.state.replica-id");

    /** Today's behaviour: nothing shared. */
    public static StateSettings local() {
        return new StateSettings(Store.LOCAL, null, "caravan:", OnStoreLoss.LOCAL, Duration.ofMillis(250),
                Duration.ofMillis(500), defaultReplicaId());
    }

    /** Reads the {@code caravan.state.*} keys of resolved properties; other keys are not looked at. */
    public static StateSettings from(Map<String, String> properties) {
        for (String key : properties.keySet()) {
            if (key.startsWith("caravan.state.") && !KEYS.contains(key)) {
                throw new ConfigurationError(key, "unknown setting; known: " + new TreeSet<>(KEYS));
            }
        }
        Store store = choice(properties, "caravan.state.store", Store.LOCAL, Store.class);
        URI url = null;
        String raw = properties.getOrDefault("caravan.state.redis-url", "").trim();
        if (store == Store.REDIS) {
            if (raw.isEmpty()) {
                throw new ConfigurationError("caravan.state.redis-url", "required when caravan.state.store = redis");
            }
            url = redisUrl(raw);
        }
        String prefix = properties.getOrDefault("caravan.state.key-prefix", "caravan:").trim();
        if (prefix.isEmpty() || prefix.chars().anyMatch(c -> c <= ' ')) {
            throw new ConfigurationError("caravan.state.key-prefix", "must be non-empty, without spaces");
        }
        String replica = properties.getOrDefault("caravan.state.replica-id", "").trim();
        return new StateSettings(store, url, prefix,
                choice(properties, "caravan.state.on-store-loss", OnStoreLoss.LOCAL, OnStoreLoss.class),
                positive(properties, "caravan.state.refresh-interval", "250ms"),
                positive(properties, "caravan.state.timeout", "500ms"),
                replica.isEmpty() ? defaultReplicaId() : replica);
    }

    public boolean shared() {
        return store == Store.REDIS;
    }

    private static String defaultReplicaId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "replica";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    private static URI redisUrl(String raw) {
        try {
            URI uri = new URI(raw);
            if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new ConfigurationError("caravan.state.redis-url",
                        "not a redis:// or rediss:// URL (redis://host:6379, rediss://:password@host:6380/0)");
            }
            return uri;
        } catch (URISyntaxException e) {
            // the message would repeat the URL, password included
            throw new ConfigurationError("caravan.state.redis-url", "not a URL");
        }
    }

    private static <E extends Enum<E>> E choice(Map<String, String> properties, String key, E fallback,
            Class<E> type) {
        String v = properties.getOrDefault(key, "").trim();
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigurationError(key, "'" + v + "' is not one of "
                    + java.util.Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT))
                            .toList());
        }
    }

    private static Duration positive(Map<String, String> properties, String key, String fallback) {
        String v = properties.getOrDefault(key, "").trim();
        Duration d = GatewaySettings.parseDuration(key, v.isEmpty() ? fallback : v);
        if (d.isZero() || d.isNegative()) {
            throw new ConfigurationError(key, "must be longer than zero");
        }
        return d;
    }
}
