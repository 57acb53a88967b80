package dev.caravan.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import dev.caravan.ConfigurationError;
import dev.caravan.config.SettingsBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code caravan.state.*} keys as an operator writes them: defaults, a Redis URL, mistakes named. */
class StateSettingsTest {

    private static StateSettings read(Map<String, String> properties) {
        return StateSettings.of(SettingsBinder.bind(properties).state());
    }

    @Test
    void nothingSetIsALocalStore() {
        StateSettings s = read(Map.of());
        assertThat(s.shared()).isFalse();
        assertThat(s.keyPrefix()).isEqualTo("caravan:");
        assertThat(s.refreshInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.replicaId()).endsWith("-" + ProcessHandle.current().pid());
    }

    @Test
    void aRedisStoreReadsItsUrlAndTunables() {
        StateSettings s = read(Map.of("caravan.state.store", "redis",
                "caravan.state.redis-url", "rediss://:pw@redis.internal:6380/2",
                "caravan.state.refresh-interval", "100ms", "caravan.state.replica-id", "pod-7"));
        assertThat(s.shared()).isTrue();
        assertThat(s.redisUrl().getHost()).isEqualTo("redis.internal");
        assertThat(s.refreshInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(s.replicaId()).isEqualTo("pod-7");
    }

    @Test
    void mistakesAreNamedAndTheUrlIsNotRepeated() {
        assertThatThrownBy(() -> read(Map.of("caravan.state.store", "memcached")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("caravan.state.store")
                .hasMessageContaining("[local, redis]");
        assertThatThrownBy(() -> read(Map.of("caravan.state.store", "redis")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("caravan.state.redis-url");
        assertThatThrownBy(() -> read(Map.of("caravan.state.store", "redis",
                "caravan.state.redis-url", "http://:secret-pw@host:6379")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("redis://")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret-pw"));
        assertThatThrownBy(() -> read(Map.of("caravan.state.store", "redis",
                "caravan.state.redis-url", "rediss://redis.internal:6380",
                "caravan.state.redis-trust-store", "/nowhere/trust.p12")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("caravan.state.redis-trust-store")
                .hasMessageContaining("/nowhere/trust.p12");
        assertThatThrownBy(() -> read(Map.of("caravan.state.refresh-interval", "soon")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("caravan.state.refresh-interval");
    }

    @Test
    void aTrustStoreIsReadAtStartWithItsPasswordAndOnlyForTls(@TempDir Path dir) throws Exception {
        TestCertificates.issue(dir, "right");
        String store = dir.resolve(TestCertificates.TRUST_STORE).toString();
        StateSettings s = read(Map.of("caravan.state.store", "redis",
                "caravan.state.redis-url", "rediss://redis.internal:6380",
                "caravan.state.redis-trust-store", store, "caravan.state.redis-trust-store-password", "right"));
        assertThat(s.redisTls().file()).isEqualTo(Path.of(store));

        assertThatThrownBy(() -> read(Map.of("caravan.state.store", "redis",
                "caravan.state.redis-url", "rediss://redis.internal:6380",
                "caravan.state.redis-trust-store", store, "caravan.state.redis-trust-store-password", "wrong")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("caravan.state.redis-trust-store")
                .hasMessageContaining("password")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong"));
        assertThatThrownBy(() -> read(Map.of("caravan.state.store", "redis",
                "caravan.state.redis-url", "redis://redis.internal:6379",
                "caravan.state.redis-trust-store", store, "caravan.state.redis-trust-store-password", "right")))
                .isInstanceOf(ConfigurationError.class).hasMessageContaining("not a rediss://");
    }
}
