package dev.caravan.state;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import dev.caravan.console.TestClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** The stored-responses bound and expiry, in memory (with a clock moved by hand) and in a real Redis. */
class ResponseRecordsTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();

    final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void inMemoryTheOldestGoesFirstWhenTheBoundIsReached() {
        LocalResponseRecords records = new LocalResponseRecords(3, Duration.ofHours(1), clock);
        for (int i = 1; i <= 4; i++) {
            records.put("resp_" + i, "record " + i);
            clock.advance(Duration.ofSeconds(1));
        }

        assertThat(records.get("resp_1")).isNull();
        assertThat(records.get("resp_2")).isEqualTo("record 2");
        assertThat(records.get("resp_4")).isEqualTo("record 4");
        assertThat(records.size()).isEqualTo(3);
    }

    @Test
    void inMemoryARecordIsForgottenOnceItsTimeIsUp() {
        LocalResponseRecords records = new LocalResponseRecords(100, Duration.ofMinutes(10), clock);
        records.put("resp_old", "old");
        clock.advance(Duration.ofMinutes(6));
        records.put("resp_new", "new");

        clock.advance(Duration.ofMinutes(4).minusMillis(1));
        assertThat(records.get("resp_old")).isEqualTo("old");
        clock.advance(Duration.ofMillis(1));
        assertThat(records.get("resp_old")).isNull();
        assertThat(records.get("resp_new")).isEqualTo("new");

        // expired records make room without being asked for
        clock.advance(Duration.ofMinutes(10));
        records.put("resp_last", "last");
        assertThat(records.size()).isEqualTo(1);
    }

    @Test
    void aRemovedRecordIsGoneInMemoryAndInRedisForEveryReplica() {
        LocalResponseRecords local = new LocalResponseRecords(10, Duration.ofHours(1), clock);
        local.put("resp_1", "one");

        assertThat(local.remove("resp_1")).isTrue();
        assertThat(local.get("resp_1")).isNull();
        assertThat(local.remove("resp_1")).isFalse();
        try (RedisResponseRecords one = new RedisResponseRecords(URI.create(redis.url()), "rm:", RedisServer.COMMAND_TIMEOUT,
                3, Duration.ofHours(1), clock);
                RedisResponseRecords other = new RedisResponseRecords(URI.create(redis.url()), "rm:",
                        RedisServer.COMMAND_TIMEOUT, 3, Duration.ofHours(1), clock);
                RedisClient raw = RedisClient.create("127.0.0.1", redis.port())) {
            one.put("resp_1", "one");
            one.put("resp_2", "two");

            assertThat(other.remove("resp_1")).isTrue();
            assertThat(one.get("resp_1")).isNull();
            assertThat(other.remove("resp_1")).isFalse();
            assertThat(raw.zcard("rm:responses")).as("the bound counts only what is kept").isEqualTo(1);
            assertThat(one.get("resp_2")).isEqualTo("two");
        }
    }

    @Test
    void inRedisEveryReplicaSeesTheRecordAndTheBoundDropsTheOldest() {
        try (RedisResponseRecords one = new RedisResponseRecords(URI.create(redis.url()), "r1:", RedisServer.COMMAND_TIMEOUT,
                3, Duration.ofHours(1), clock);
                RedisResponseRecords other = new RedisResponseRecords(URI.create(redis.url()), "r1:",
                        RedisServer.COMMAND_TIMEOUT, 3, Duration.ofHours(1), clock);
                RedisClient raw = RedisClient.create("127.0.0.1", redis.port())) {
            for (int i = 1; i <= 4; i++) {
                (i % 2 == 0 ? one : other).put("resp_" + i, "record " + i);
                clock.advance(Duration.ofSeconds(1));
            }

            assertThat(other.get("resp_4")).isEqualTo("record 4");
            assertThat(one.get("resp_3")).isEqualTo("record 3");
            assertThat(one.get("resp_1")).isNull();
            assertThat(raw.zcard("r1:responses")).isEqualTo(3);
            assertThat(raw.keys("r1:response:*")).hasSize(3);
            for (String key : raw.keys("r1:*")) {
                assertThat(raw.pttl(key)).as(key).isPositive();
            }
        }
    }

    @Test
    void inRedisARecordExpires() {
        try (RedisResponseRecords records = new RedisResponseRecords(URI.create(redis.url()), "r2:",
                RedisServer.COMMAND_TIMEOUT, 10, Duration.ofMillis(300), Clock.systemUTC())) {
            records.put("resp_short", "short-lived");
            assertThat(records.get("resp_short")).isEqualTo("short-lived");

            eventually().until(() -> records.get("resp_short") == null);
        }
    }

    @Test
    void inRedisTheFirstCallAfterARestartFindsTheNewServer() throws Exception {
        try (RedisResponseRecords records = new RedisResponseRecords(URI.create(redis.url()), "r3:",
                RedisServer.COMMAND_TIMEOUT, 10, Duration.ofHours(1), clock)) {
            records.put("resp_before", "before");
            redis.kill();
            redis.start();

            records.put("resp_after", "after");
            assertThat(records.get("resp_after")).isEqualTo("after");
            assertThat(records.get("resp_before")).isNull();
        }
    }
}
