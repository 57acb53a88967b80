package dev.caravan.clients;

import static dev.caravan.clients.RedisLedgers.CENT;
import static dev.caravan.clients.RedisLedgers.CLOCK;
import static dev.caravan.clients.RedisLedgers.DOLLAR;
import static dev.caravan.clients.RedisLedgers.HOLD;
import static dev.caravan.clients.RedisLedgers.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import dev.caravan.state.RedisServer;
import dev.caravan.state.RedisStateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Replicas' ledgers on one real Redis, at a fixed instant, syncing when told: a lost store leaves each replica its
 * share of what was left, and whatever happens to Redis (restarted empty, stalled and back with its data) or to a
 * replica (restarted), every charge ends counted exactly once: the totals asserted are exact sums.
 */
class SharedLedgerTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();
    @RegisterExtension
    final RedisLedgers replicas = new RedisLedgers(redis);

    private int ids;

    private SharedLedger replica(String name, boolean refuse) {
        SharedLedger ledger = new SharedLedger(new RedisLedger(RedisStateStore.connect(URI.create(redis.url()),
                Duration.ofMillis(300), 4), "t" + System.identityHashCode(this) + ":", name, Duration.ofHours(1)),
                Map.of("team", BudgetPeriod.DAY), Duration.ofHours(1), refuse, CLOCK);
        replicas.add(ledger);
        return ledger;
    }

    /** Admits a request of {@code nanos} and settles it at that cost. */
    private Ledger.Hold spend(SharedLedger ledger, long nanos) {
        Ledger.Hold hold = admit(ledger, nanos);
        ledger.settle(hold, nanos, 1, NOW);
        return hold;
    }

    private Ledger.Hold admit(SharedLedger ledger, long nanos) {
        Ledger.Verdict v = ledger.admit("team", "r" + ids++, DOLLAR, nanos, 1, NOW, HOLD);
        assertThat(v.admitted()).as("request %d admitted", ids - 1).isTrue();
        return v.hold();
    }

    private static void syncAll(SharedLedger... ledgers) {
        for (int round = 0; round < 2; round++) {
            for (SharedLedger l : ledgers) {
                l.sync();
            }
        }
    }

    private static Ledger.Spend team(SharedLedger ledger) {
        return ledger.spend("team", BudgetPeriod.DAY, NOW);
    }

    @Test
    void aLostStoreLeavesEachReplicaItsShareAndAnEmptyRestartEndsWithEveryChargeCountedOnce() throws Exception {
        SharedLedger a = replica("a", false);
        SharedLedger b = replica("b", false);
        syncAll(a, b);
        assertThat(a.replicas()).isEqualTo(2);
        for (int i = 0; i < 4; i++) {
            spend(a, 10 * CENT);
        }
        syncAll(a, b);
        assertThat(team(b)).isEqualTo(new Ledger.Spend(40 * CENT, 0));
        spend(a, 10 * CENT);
        a.sync(); // b has not read this one: b knows $0.40, Redis and a $0.50
        Ledger.Hold late = admit(a, 10 * CENT);

        redis.kill();
        a.settle(late, 10 * CENT, 1, NOW); // settled while the store is lost: sent once it is back
        Ledger.Hold lost = admit(b, 10 * CENT);
        assertThat(b.connected()).isFalse();
        assertThat(lost.local()).isTrue();
        // b's share of the $0.60 it knew to be left is $0.30: three requests of $0.10, then no more
        b.settle(lost, 10 * CENT, 1, NOW);
        spend(b, 10 * CENT);
        spend(b, 10 * CENT);
        assertThat(b.admit("team", "b-over", DOLLAR, 10 * CENT, 1, NOW, HOLD).refused())
                .isEqualTo(Ledger.Reason.BUDGET);
        spend(a, 10 * CENT); // a on its own, within its share of the $0.40 it knew to be left (less a's late $0.10)

        redis.start(); // empty
        b.sync(); // the replica that knew less seeds first (twice: its first exchange may meet a dead connection)
        b.sync();
        a.sync();
        syncAll(a, b);
        assertThat(a.connected()).isTrue();
        assertThat(b.connected()).isTrue();
        // $0.50 before, $0.10 settled late, $0.10 on a alone, $0.30 on b alone
        assertThat(team(a)).isEqualTo(new Ledger.Spend(100 * CENT, 0));
        assertThat(team(b)).isEqualTo(new Ledger.Spend(100 * CENT, 0));
        assertThat(a.admit("team", "after", DOLLAR, CENT, 1, NOW, HOLD).refused()).isEqualTo(Ledger.Reason.BUDGET);
    }

    @Test
    void anAdmissionToAStoreRestartedEmptyWaitsForItToBeSeededFirst() throws Exception {
        SharedLedger a = replica("a", false);
        SharedLedger b = replica("b", false);
        syncAll(a, b);
        for (int i = 0; i < 9; i++) {
            spend(i % 2 == 0 ? a : b, 10 * CENT);
        }
        syncAll(a, b);

        redis.kill();
        redis.start(); // empty, and no replica has noticed yet
        spend(b, 10 * CENT);
        // $0.90 known before, $0.10 now: an admission to the bare store would have let this one through
        assertThat(a.admit("team", "over", DOLLAR, 10 * CENT, 1, NOW, HOLD).refused())
                .isEqualTo(Ledger.Reason.BUDGET);
        syncAll(a, b);
        assertThat(team(a)).isEqualTo(new Ledger.Spend(100 * CENT, 0));
        assertThat(team(b)).isEqualTo(new Ledger.Spend(100 * CENT, 0));
    }

    @Test
    void aStoreBackWithItsDataTakesWhatWasSettledMeanwhileOnce() {
        SharedLedger a = replica("a", false);
        SharedLedger b = replica("b", false);
        syncAll(a, b);
        spend(a, 20 * CENT);
        spend(b, 10 * CENT);
        syncAll(a, b);
        Ledger.Hold pending = admit(a, 10 * CENT);

        redis.pause();
        a.settle(pending, 7 * CENT, 1, NOW);
        a.sync(); // times out: the settlement waits, and is sent again later
        assertThat(a.connected()).isFalse();
        spend(b, 10 * CENT); // on its own
        assertThat(b.connected()).isFalse();
        redis.resume();
        syncAll(a, b);

        assertThat(a.connected()).isTrue();
        assertThat(team(a)).isEqualTo(new Ledger.Spend(47 * CENT, 0));
        assertThat(team(b)).isEqualTo(new Ledger.Spend(47 * CENT, 0));
    }

    @Test
    void aRestartedReplicaAddsToWhatItSpentBeforeEvenWhenRedisForgetsIt() throws Exception {
        SharedLedger a = replica("a", false);
        SharedLedger b = replica("b", false);
        syncAll(a, b);
        spend(a, 30 * CENT);
        spend(b, 5 * CENT);
        syncAll(a, b);
        a.close();

        SharedLedger again = replica("a", false); // the same name, a new process
        syncAll(again, b);
        spend(again, 20 * CENT);
        syncAll(again, b);
        assertThat(team(b)).isEqualTo(new Ledger.Spend(55 * CENT, 0));

        redis.kill();
        redis.start(); // empty: the restarted replica's past is known to b only
        syncAll(again, b);
        assertThat(team(again)).isEqualTo(new Ledger.Spend(55 * CENT, 0));
        assertThat(team(b)).isEqualTo(new Ledger.Spend(55 * CENT, 0));
    }

    @Test
    void inRefuseModeALostStoreRefusesAdmissions() {
        SharedLedger a = replica("r", true);
        a.sync();
        redis.kill();
        assertThatThrownBy(() -> a.admit("team", "x", DOLLAR, CENT, 1, NOW, HOLD))
                .isInstanceOf(SharedLedger.StoreLost.class);
        assertThat(a.connected()).isFalse();
    }
}
