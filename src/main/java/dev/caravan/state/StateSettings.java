package dev.caravan.state;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Locale;

import dev.caravan.ConfigurationError;
import dev.caravan.config.CaravanProperties;

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
 * @param redisTls        for {@code rediss://}: the certificates trusted; null for the JVM's own trust store
 */
public record StateSettings(Store store, URI redisUrl, String keyPrefix, OnStoreLoss onStoreLoss,
        Duration refreshInterval, Duration timeout, String replicaId, RedisTrust redisTls) {

    /** Without the Redis URL's user and password, which never reach a log line through a settings object. */
    @Override
    public String toString() {
        String redis = redisUrl == null ? null
                : redisUrl.getScheme() + "://" + (redisUrl.getRawUserInfo() == null ? "" : "(credentials)@")
                        + redisUrl.getHost() + ":" + redisUrl.getPort() + (redisUrl.getRawPath() == null ? ""
                                : redisUrl.getRawPath());
        return "StateSettings[store=" + store + ", redisUrl=" + redis + ", keyPrefix=" + keyPrefix + ", onStoreLoss="
                + onStoreLoss + ", refreshInterval=" + refreshInterval + ", timeout=" + timeout + ", replicaId="
                + replicaId + ", redisTls=" + redisTls + "]";
    }

    /** A trust store of the certificates (or their authority) a {@code rediss://} Redis is checked against. */
    public record RedisTrust(Path file, char[] password) {
        @Override
        public String toString() {
            return "RedisTrust[" + file + "]";
        }
    }

    /** Where shared state lives. */
    public enum Store { LOCAL, REDIS }

    /** What a replica does while the store is unreachable. */
    public enum OnStoreLoss {
        /**
         * Carry on with what this replica knows and learns itself, clients' limits at this replica's share of what
         * was left; share again once the store is back.
         */
        LOCAL,
        /** Refuse every request (503 {@code state_store_unavailable}) until the store is back. */
        REFUSE
    }

    /** Today's behaviour: nothing shared. */
    public static StateSettings local() {
        return of(new CaravanProperties.State(null, null, null, null, null, null, null, null, null));
    }

    /** Checks the bound {@code caravan.state.*} keys. */
    public static StateSettings of(CaravanProperties.State state) {
        Store store = choice("caravan.state.store", state.store(), Store.class);
        URI url = null;
        if (store == Store.REDIS) {
            if (state.redisUrl().isEmpty()) {
                throw new ConfigurationError("caravan.state.redis-url", "required when caravan.state.store = redis");
            }
            url = redisUrl(state.redisUrl());
        }
        String prefix = state.keyPrefix();
        if (prefix.chars().anyMatch(c -> c <= ' ')) {
            throw new ConfigurationError("caravan.state.key-prefix", "must have no spaces");
        }
        return new StateSettings(store, url, prefix,
                choice("caravan.state.on-store-loss", state.onStoreLoss(), OnStoreLoss.class),
                state.refreshInterval(), state.timeout(),
                state.replicaId().isEmpty() ? defaultReplicaId() : state.replicaId(), trust(state, url));
    }

    /** The trust store, read once now: a wrong path or password fails the start, not every connection later. */
    private static RedisTrust trust(CaravanProperties.State state, URI url) {
        String key = "caravan.state.redis-trust-store";
        if (state.redisTrustStore().isBlank()) {
            return null;
        }
        if (url != null && !"rediss".equals(url.getScheme())) {
            throw new ConfigurationError(key, "set, but caravan.state.redis-url is not a rediss:// (TLS) URL");
        }
        Path file = Path.of(state.redisTrustStore().trim());
        char[] password = state.redisTrustStorePassword().toCharArray();
        if (!Files.isReadable(file)) {
            throw new ConfigurationError(key, "no readable file at " + file);
        }
        try {
            KeyStore store = KeyStore.getInstance(file.toFile(), password);
            if (store.size() == 0) {
                throw new ConfigurationError(key, file + " holds no certificate");
            }
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new ConfigurationError(key, "cannot read " + file + " as a PKCS12 or JKS trust store with "
                    + "caravan.state.redis-trust-store-password (" + e.getMessage() + ")");
        }
        return new RedisTrust(file, password);
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

    private static <E extends Enum<E>> E choice(String key, String value, Class<E> type) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigurationError(key, "'" + value + "' is not one of "
                    + java.util.Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT))
                            .toList());
        }
    }
}
