package dev.caravan.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import dev.caravan.state.RedisServer;
import dev.caravan.state.RedisStateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two replicas' ledgers on one real Redis, at a fixed instant, syncing when told: a lost store leaves each replica
 * its share of what was left, and a Redis restarted empty ends with every charge counted once.
 */
class SharedLedgerTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();

    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Duration HOLD = Duration.ofMinutes(3);
    private static final long CENT = Money.nanos(0.01);
    private static final Ledger.Limits DOLLAR = new Ledger.Limits(100 * CENT, BudgetPeriod.DAY, 0, 0);

    private SharedLedger a;
    private SharedLedger b;

    private SharedLedger replica(String name, boolean refuse) {
        return new SharedLedger(new RedisLedger(RedisStateStore.connect(URI.create(redis.url()),
                Duration.ofMillis(300), 4), "t:"), Map.of("team", BudgetPeriod.DAY), name, Duration.ofHours(1),
                refuse, CLOCK);
    }

    @AfterEach
    void close() {
        for (SharedLedger l : new SharedLedger[] {a, b}) {
            if (l != null) {
                l.close();
            }
        }
    }

    private static void spend(SharedLedger ledger, String id, long nanos) {
        Ledger.Verdict v = ledger.admit("team", id, DOLLAR, nanos, 1, NOW, HOLD, 0);
        assertThat(v.admitted()).as(id).isTrue();
        ledger.settle(v.hold(), nanos, 1, NOW);
    }

    @Test
    void aLostStoreLeavesEachReplicaItsShareAndAnEmptyRestartEndsWithEveryChargeCountedOnce() throws Exception {
        a = replica("a", false);
        b = replica("b", false);
        a.sync();
        b.sync();
        a.sync();
        assertThat(a.replicas()).isEqualTo(2);
        for (int i = 0; i < 4; i++) {
            spend(a, "a" + i, 10 * CENT);
        }
        a.sync();
        b.sync();
        assertThat(b.spend("team", BudgetPeriod.DAY, NOW)).isEqualTo(new Ledger.Spend(40 * CENT, 0));

        redis.kill();
        Ledger.Verdict lost = b.admit("team", "b0", DOLLAR, 10 * CENT, 1, NOW, HOLD, 0);
        assertThat(b.connected()).isFalse();
        assertThat(lost.hold().local()).isTrue();
        // b's share of the $0.60 left is $0.30: three requests of $0.10, then no more
        b.settle(lost.hold(), 10 * CENT, 1, NOW);
        spend(b, "b1", 10 * CENT);
        spend(b, "b2", 10 * CENT);
        assertThat(b.admit("team", "b3", DOLLAR, 10 * CENT, 1, NOW, HOLD, 0).refused())
                .isEqualTo(Ledger.Reason.BUDGET);
        spend(a, "a4", 10 * CENT); // settled while the store is lost: sent once it is back

        redis.start();
        for (int i = 0; i < 3; i++) {
            a.sync();
            b.sync();
        }
        assertThat(a.connected()).isTrue();
        assertThat(b.connected()).isTrue();
        // $0.40 before, $0.30 on b alone, $0.10 of a's settled late
        assertThat(a.spend("team", BudgetPeriod.DAY, NOW)).isEqualTo(new Ledger.Spend(80 * CENT, 0));
        assertThat(b.spend("team", BudgetPeriod.DAY, NOW)).isEqualTo(new Ledger.Spend(80 * CENT, 0));
        spend(a, "a5", 20 * CENT);
        assertThat(a.admit("team", "a6", DOLLAR, CENT, 1, NOW, HOLD, 0).admitted()).isFalse();
    }

    @Test
    void inRefuseModeALostStoreRefusesAdmissions() {
        a = replica("r", true);
        a.sync();
        redis.kill();
        try {
            assertThatThrownBy(() -> a.admit("team", "x", DOLLAR, CENT, 1, NOW, HOLD, 0))
                    .isInstanceOf(SharedLedger.StoreLost.class);
            assertThat(a.connected()).isFalse();
        } finally {
            try {
                redis.start();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
