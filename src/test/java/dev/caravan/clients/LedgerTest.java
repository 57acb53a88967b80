package dev.caravan.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import dev.caravan.state.RedisServer;
import dev.caravan.state.RedisStateStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ledger's rules, the same in memory ({@link LocalLedger}) and in a real Redis ({@link RedisLedger}): budget
 * holds and settlements, lapsed holds, windows, and the sliding rate window, each at given instants.
 */
class LedgerTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();

    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00.250Z");
    private static final Duration HOLD = Duration.ofMinutes(3);
    private static final long CENT = Money.nanos(0.01);
    private static RedisLedger shared;

    @BeforeAll
    static void connect() {
        shared = new RedisLedger(RedisStateStore.connect(java.net.URI.create(redis.url()), RedisServer.COMMAND_TIMEOUT, 4),
                "test:", "test", Duration.ofMinutes(1));
    }

    @AfterAll
    static void close() {
        shared.close();
    }

    static Stream<Ledger> ledgers() {
        return Stream.of(new LocalLedger(), shared);
    }

    private static String client() {
        return "c" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Ledger.Limits budget(long nanos, BudgetPeriod period) {
        return new Ledger.Limits(nanos, period, 0, 0);
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }

    @ParameterizedTest
    @MethodSource("ledgers")
    void admitsWhileTheEstimateFitsWhatIsLeftAndSaysWhenTheBudgetResets(Ledger ledger) {
        String c = client();
        Ledger.Limits limits = budget(10 * CENT, BudgetPeriod.DAY);
        for (int i = 0; i < 3; i++) {
            assertThat(ledger.admit(c, id(), limits, 3 * CENT, 10, T0, HOLD).admitted()).isTrue();
        }
        Ledger.Verdict fourth = ledger.admit(c, id(), limits, 3 * CENT, 10, T0, HOLD);
        assertThat(fourth.refused()).isEqualTo(Ledger.Reason.BUDGET);
        assertThat(fourth.retryAt()).isEqualTo(Instant.parse("2026-12-07T00:00:00Z"));
        assertThat(ledger.admit(c, id(), limits, CENT, 10, T0, HOLD).admitted()).as("one cent still fits").isTrue();
        assertThat(ledger.spend(c, BudgetPeriod.DAY, T0)).isEqualTo(new Ledger.Spend(0, 10 * CENT));
    }

    @ParameterizedTest
    @MethodSource("ledgers")
    void aSettlementChargesTheActualCostOnceAndAFailureFreesItsHold(Ledger ledger) {
        String c = client();
        Ledger.Limits limits = budget(10 * CENT, BudgetPeriod.DAY);
        Ledger.Hold served = ledger.admit(c, id(), limits, 4 * CENT, 10, T0, HOLD).hold();
        Ledger.Hold failed = ledger.admit(c, id(), limits, 4 * CENT, 10, T0, HOLD).hold();
        assertThat(ledger.admit(c, id(), limits, 4 * CENT, 10, T0, HOLD).admitted()).isFalse();

        ledger.settle(served, CENT, 10, T0);
        ledger.settle(served, CENT, 10, T0); // sent again: charged once
        ledger.settle(failed, 0, 0, T0);
        assertThat(ledger.spend(c, BudgetPeriod.DAY, T0)).isEqualTo(new Ledger.Spend(CENT, 0));
        // 9 cents left: two holds of 4 fit, a third does not
        assertThat(ledger.admit(c, id(), limits, 4 * CENT, 10, T0, HOLD).admitted()).isTrue();
        assertThat(ledger.admit(c, id(), limits, 4 * CENT, 10, T0, HOLD).admitted()).isTrue();
        assertThat(ledger.admit(c, id(), limits, 4 * CENT, 10, T0, HOLD).admitted()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("ledgers")
    void aHoldNeverSettledLapsesAndALateSettlementStillCharges(Ledger ledger) {
        String c = client();
        Ledger.Limits limits = budget(5 * CENT, BudgetPeriod.DAY);
        Ledger.Hold orphan = ledger.admit(c, id(), limits, 5 * CENT, 10, T0, HOLD).hold();
        assertThat(ledger.admit(c, id(), limits, CENT, 10, T0.plus(HOLD).minusMillis(1), HOLD).admitted())
                .isFalse();
        Instant later = T0.plus(HOLD);
        assertThat(ledger.admit(c, id(), limits, CENT, 10, later, HOLD).admitted()).as("the hold lapsed").isTrue();
        ledger.settle(orphan, 2 * CENT, 10, later);
        assertThat(ledger.spend(c, BudgetPeriod.DAY, later)).isEqualTo(new Ledger.Spend(2 * CENT, CENT));
    }

    @ParameterizedTest
    @MethodSource("ledgers")
    void aNewPeriodStartsAfreshAndABudgetWithoutPeriodNeverResets(Ledger ledger) {
        String c = client();
        Ledger.Limits daily = budget(5 * CENT, BudgetPeriod.DAY);
        ledger.settle(ledger.admit(c, id(), daily, 5 * CENT, 10, T0, HOLD).hold(), 5 * CENT, 10, T0);
        assertThat(ledger.admit(c, id(), daily, CENT, 10, T0, HOLD).admitted()).isFalse();
        Instant tomorrow = Instant.parse("2026-12-07T00:00:00Z");
        assertThat(ledger.admit(c, id(), daily, CENT, 10, tomorrow, HOLD).admitted()).isTrue();

        String d = client();
        Ledger.Limits once = budget(5 * CENT, BudgetPeriod.NONE);
        ledger.settle(ledger.admit(d, id(), once, 5 * CENT, 10, T0, HOLD).hold(), 5 * CENT, 10, T0);
        Ledger.Verdict refused = ledger.admit(d, id(), once, CENT, 10, T0.plus(Duration.ofDays(90)), HOLD);
        assertThat(refused.refused()).isEqualTo(Ledger.Reason.BUDGET);
        assertThat(refused.retryAt()).isNull();
    }

    @ParameterizedTest
    @MethodSource("ledgers")
    void anEstimateLargerThanTheWholeBudgetNeverFits(Ledger ledger) {
        Ledger.Verdict v = ledger.admit(client(), id(), budget(CENT, BudgetPeriod.DAY), 2 * CENT, 10, T0, HOLD);
        assertThat(v.refused()).isEqualTo(Ledger.Reason.BUDGET);
        assertThat(v.retryAt()).isNull();
    }

    @ParameterizedTest
    @MethodSource("ledgers")
    void requestsPerMinuteSlideSecondBySecond(Ledger ledger) {
        String c = client();
        Ledger.Limits rpm = new Ledger.Limits(-1, BudgetPeriod.DAY, 3, 0);
        assertThat(ledger.admit(c, id(), rpm, 0, 1, T0, HOLD).admitted()).isTrue();
        Instant t30 = T0.plusSeconds(30);
        assertThat(ledger.admit(c, id(), rpm, 0, 1, t30, HOLD).admitted()).isTrue();
        assertThat(ledger.admit(c, id(), rpm, 0, 1, t30, HOLD).admitted()).isTrue();
        Ledger.Verdict full = ledger.admit(c, id(), rpm, 0, 1, t30, HOLD);
        assertThat(full.refused()).isEqualTo(Ledger.Reason.RPM);
        assertThat(full.retryAt()).isEqualTo(Instant.parse("2026-12-06T10:01:00Z"));
        assertThat(ledger.admit(c, id(), rpm, 0, 1, Instant.parse("2026-12-06T10:00:59.999Z"), HOLD).admitted())
                .isFalse();
        assertThat(ledger.admit(c, id(), rpm, 0, 1, Instant.parse("2026-12-06T10:01:00Z"), HOLD).admitted())
                .as("the first request left the window").isTrue();
        assertThat(ledger.admit(c, id(), rpm, 0, 1, Instant.parse("2026-12-06T10:01:00Z"), HOLD).admitted())
                .isFalse();
    }

    @ParameterizedTest
    @MethodSource("ledgers")
    void tokensPerMinuteCountTheEstimateThenTheActualTokens(Ledger ledger) {
        String c = client();
        Ledger.Limits tpm = new Ledger.Limits(-1, BudgetPeriod.DAY, 0, 1000);
        Ledger.Hold first = ledger.admit(c, id(), tpm, 0, 600, T0, HOLD).hold();
        Ledger.Verdict over = ledger.admit(c, id(), tpm, 0, 600, T0, HOLD);
        assertThat(over.refused()).isEqualTo(Ledger.Reason.TPM);
        assertThat(over.retryAt()).isEqualTo(Instant.parse("2026-12-06T10:01:00Z"));
        ledger.settle(first, 0, 100, T0.plusSeconds(1)); // it used 100 tokens, not 600
        assertThat(ledger.admit(c, id(), tpm, 0, 600, T0.plusSeconds(1), HOLD).admitted()).isTrue();
        Ledger.Verdict never = ledger.admit(c, id(), tpm, 0, 1001, T0.plusSeconds(1), HOLD);
        assertThat(never.refused()).isEqualTo(Ledger.Reason.TPM);
        assertThat(never.retryAt()).as("more than the limit itself never fits").isNull();
    }

    @ParameterizedTest
    @MethodSource("ledgers")
    void aRefusedRequestHoldsAndCountsNothing(Ledger ledger) {
        String c = client();
        Ledger.Limits limits = new Ledger.Limits(5 * CENT, BudgetPeriod.DAY, 2, 0);
        assertThat(ledger.admit(c, id(), limits, 6 * CENT, 1, T0, HOLD).admitted()).isFalse();
        assertThat(ledger.admit(c, id(), limits, CENT, 1, T0, HOLD).admitted()).isTrue();
        assertThat(ledger.admit(c, id(), limits, CENT, 1, T0, HOLD).admitted()).isTrue();
        assertThat(ledger.admit(c, id(), limits, CENT, 1, T0, HOLD).refused()).isEqualTo(Ledger.Reason.RPM);
        assertThat(ledger.spend(c, BudgetPeriod.DAY, T0)).isEqualTo(new Ledger.Spend(0, 2 * CENT));
    }

    @Test
    void spendTakenOutOfALocalLedgerLeavesIt() {
        LocalLedger ledger = new LocalLedger();
        String c = client();
        Ledger.Limits limits = budget(10 * CENT, BudgetPeriod.DAY);
        ledger.settle(ledger.admit(c, id(), limits, 3 * CENT, 1, T0, HOLD).hold(), 2 * CENT, 1, T0);
        List<LocalLedger.Taken> taken = ledger.takeSpent(Map.of(c, BudgetPeriod.DAY));
        assertThat(taken).extracting(LocalLedger.Taken::nanos).containsExactly(2 * CENT);
        assertThat(ledger.spend(c, BudgetPeriod.DAY, T0).spent()).isZero();
    }
}
