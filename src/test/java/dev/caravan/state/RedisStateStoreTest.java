package dev.caravan.state;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** The Redis store against a real redis-server: atomic keep-the-later writes, expiries, leases, a lost store. */
class RedisStateStoreTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();

    @RegisterExtension
    static final RedisServer locked = RedisServer.create("--requirepass", "s3cret-pass");

    private static StateStore.Write write(String key, long order, String value) {
        return new StateStore.Write(key, order, value, Duration.ofMinutes(1));
    }

    @Test
    void aWriteKeepsTheLaterFactAndOneExchangeReadsBack() {
        try (RedisStateStore store = new RedisStateStore(URI.create(redis.url()), "t1:", RedisServer.COMMAND_TIMEOUT)) {
            store.exchange(List.of(write("cooldown:a:0", 2000, "2000 RATE_LIMITED")), List.of());
            List<String> read = store.exchange(List.of(write("cooldown:a:0", 1000, "1000 RATE_LIMITED"),
                    write("breaker:a", 5, "5 OPEN r1")), List.of("cooldown:a:0", "breaker:a", "cooldown:b:0"));
            assertThat(read).containsExactly("2000 RATE_LIMITED", "5 OPEN r1", null);

            store.exchange(List.of(write("cooldown:a:0", 3000, "3000 KEY_REJECTED")), List.of());
            assertThat(store.exchange(List.of(), List.of("cooldown:a:0"))).containsExactly("3000 KEY_REJECTED");
        }
    }

    @Test
    void everyKeyExpires() {
        // Redis's own expiry, real time: the keys looked at a minute long, the one waited for short, so no pause of a
        // loaded machine can expire a key before it is looked at
        try (RedisStateStore store = new RedisStateStore(URI.create(redis.url()), "t2:", RedisServer.COMMAND_TIMEOUT);
                RedisClient raw = RedisClient.create("127.0.0.1", redis.port())) {
            store.exchange(List.of(write("a", 1, "x")), List.of());
            store.lease("lease:recovery:a", "r1", Duration.ofMinutes(1));
            assertThat(raw.keys("t2:*")).containsExactlyInAnyOrder("t2:a", "t2:lease:recovery:a");
            for (String key : raw.keys("t2:*")) {
                assertThat(raw.pttl(key)).as(key).isPositive();
            }

            store.exchange(List.of(new StateStore.Write("b", 1, "y", Duration.ofMillis(300))), List.of());
            assertThat(raw.pttl("t2:b")).as("at most the 300 ms given, or gone already (-2); never kept (-1)")
                    .satisfiesAnyOf(ttl -> assertThat(ttl).isBetween(1L, 300L), ttl -> assertThat(ttl).isEqualTo(-2L));
            eventually().until(() -> raw.get("t2:b") == null);
        }
    }

    @Test
    void aLeaseIsHeldByOneOwnerUntilItLapses() {
        try (RedisStateStore store = new RedisStateStore(URI.create(redis.url()), "t3:", RedisServer.COMMAND_TIMEOUT)) {
            // held for a minute while the other owner is refused: no pause of a loaded machine lets it lapse here
            assertThat(store.lease("probe", "replica-a", Duration.ofMinutes(1))).isTrue();
            assertThat(store.lease("probe", "replica-b", Duration.ofMinutes(1))).isFalse();
            // the holder extends it, here to a short lease, which then lapses by Redis's real time
            assertThat(store.lease("probe", "replica-a", Duration.ofMillis(400))).as("the holder extends it").isTrue();
            eventually().pollInterval(Duration.ofMillis(50))
                    .until(() -> store.lease("probe", "replica-b", Duration.ofMinutes(1)));
            assertThat(store.lease("probe", "replica-a", Duration.ofMinutes(1))).isFalse();
        }
    }

    @Test
    void aPasswordInTheUrlIsUsedAndNeverShown() {
        URI right = URI.create("redis://:s3cret-pass@127.0.0.1:" + locked.port() + "/2");
        try (RedisStateStore store = new RedisStateStore(right, "t4:", RedisServer.COMMAND_TIMEOUT)) {
            store.exchange(List.of(write("k", 1, "v")), List.of());
            assertThat(store.exchange(List.of(), List.of("k"))).containsExactly("v");
        }
        URI wrong = URI.create("redis://:not-the-pass@127.0.0.1:" + locked.port());
        try (RedisStateStore store = new RedisStateStore(wrong, "t4:", RedisServer.COMMAND_TIMEOUT)) {
            assertThatThrownBy(() -> store.exchange(List.of(), List.of("k")))
                    .isInstanceOf(StateStore.Unavailable.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-pass"));
        }
    }

    @Test
    void aStoppedServerIsUnavailableAndAServerBackIsUsedAgain() throws Exception {
        try (RedisStateStore store = new RedisStateStore(URI.create(redis.url()), "t5:", RedisServer.COMMAND_TIMEOUT)) {
            store.exchange(List.of(write("k", 1, "v")), List.of());
            redis.kill();
            assertThatThrownBy(() -> store.exchange(List.of(), List.of("k")))
                    .isInstanceOf(StateStore.Unavailable.class);
            assertThatThrownBy(() -> store.lease("probe", "r", Duration.ofSeconds(1)))
                    .isInstanceOf(StateStore.Unavailable.class);
            redis.start();
            assertThat(store.exchange(List.of(write("k", 2, "w")), List.of("k"))).as("empty after the restart")
                    .containsExactly("w");
        }
    }
}
