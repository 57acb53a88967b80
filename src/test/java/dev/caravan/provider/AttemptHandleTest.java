package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.testing.TickedScheduler;

import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The attempt handle's limits and cut, on a ticker the test moves. The limits are an hour long, so the scheduler the
 * watch re-arms on never comes due while a test runs: each check is the test's own, at the tick it chose.
 */
class AttemptHandleTest {

    private static final long MINUTE = Duration.ofMinutes(1).toNanos();

    private final AtomicLong ticks = new AtomicLong();
    private final AttemptHandle handle = new AttemptHandle(ticks::get, 0);
    private final HttpPost call = new HttpPost("http://127.0.0.1:9/v1/chat/completions");
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void aFirstContentLaterThanItsLimitCutsTheCallAndSaysWhichLimit() {
        handle.bind(call);
        handle.watch(scheduler, Duration.ofMinutes(60), Duration.ofMinutes(10));

        ticks.set(59 * MINUTE);
        assertThat(handle.check()).isEqualTo(MINUTE);
        assertThat(handle.cut()).isNull();
        assertThat(call.isCancelled()).isFalse();

        ticks.set(60 * MINUTE);
        assertThat(handle.check()).isEqualTo(-1);
        assertThat(handle.cut()).isEqualTo(AttemptHandle.Cut.LATE);
        assertThat(call.isCancelled()).as("the HTTP call itself is cancelled").isTrue();
        assertThat(handle.cutFailure().failureClass()).isEqualTo(FailureClass.TIMEOUT);
        assertThat(handle.cutFailure().getMessage()).isEqualTo("no content within 3600000 ms");
    }

    @Test
    void onceCommittedThePauseSinceTheLastEventCountsNotTheFirstContentLimit() {
        handle.bind(call);
        handle.watch(scheduler, Duration.ofMinutes(40), Duration.ofMinutes(10));
        ticks.set(30 * MINUTE);
        handle.committed();
        ticks.set(39 * MINUTE);
        handle.touch();

        ticks.set(48 * MINUTE); // past the first content's limit, but only 9 minutes idle
        assertThat(handle.check()).isEqualTo(MINUTE);
        assertThat(handle.cut()).isNull();

        ticks.set(49 * MINUTE);
        assertThat(handle.check()).isEqualTo(-1);
        assertThat(handle.cutBecause()).isEqualTo("the provider sent nothing for 600000 ms");
        assertThat(call.isCancelled()).isTrue();
    }

    @Test
    void aStreamSilentAfterAQuickFirstPieceIsCutAtTheIdleLimitNotAtTheFirstContentLimit() {
        TickedScheduler timers = new TickedScheduler(ticks);
        handle.bind(call);
        handle.watch(timers, Duration.ofMinutes(60), Duration.ofMinutes(10));
        ticks.set(MINUTE);
        handle.committed(); // the first piece after a minute, then nothing

        timers.runUntil(11 * MINUTE - 1);
        assertThat(handle.cut()).isNull();

        timers.runUntil(11 * MINUTE);
        assertThat(handle.cut()).as("cut by the scheduled check itself").isEqualTo(AttemptHandle.Cut.LATE);
        assertThat(handle.cutBecause()).isEqualTo("the provider sent nothing for 600000 ms");
        assertThat(call.isCancelled()).isTrue();
    }

    @Test
    void anEventWithinTheIdleLimitKeepsTheStreamGoingPastTheFirstContentLimit() {
        handle.watch(scheduler, Duration.ofMinutes(60), Duration.ofMinutes(10));
        ticks.set(30 * MINUTE);
        handle.committed();
        for (long minute = 38; minute <= 98; minute += 8) {
            ticks.set(minute * MINUTE);
            handle.touch();
            assertThat(handle.check()).isEqualTo(10 * MINUTE);
        }
        assertThat(handle.cut()).isNull();
    }

    @Test
    void aPauseForASlowClientIsNotTheProvidersSilenceAndTheIdleLimitCountsOnAfterTheResume() {
        handle.bind(call);
        handle.watch(scheduler, Duration.ofMinutes(60), Duration.ofMinutes(10));
        ticks.set(5 * MINUTE);
        handle.committed();
        ticks.set(6 * MINUTE);
        handle.hold(); // one minute after the last event

        ticks.set(40 * MINUTE); // paused far past the idle limit
        assertThat(handle.check()).as("looked at again later").isEqualTo(10 * MINUTE);
        assertThat(handle.cut()).isNull();
        assertThat(call.isCancelled()).isFalse();

        handle.release(); // nine minutes of the limit are left
        ticks.set(48 * MINUTE);
        assertThat(handle.check()).isEqualTo(MINUTE);
        assertThat(handle.cut()).isNull();
        ticks.set(49 * MINUTE);
        assertThat(handle.check()).isEqualTo(-1);
        assertThat(handle.cutBecause()).isEqualTo("the provider sent nothing for 600000 ms");
    }

    @Test
    void aPauseHeldTwiceAndReleasedTwiceMovesTheIdleLimitOnOnceFromWhereItBegan() {
        handle.bind(call);
        handle.watch(scheduler, Duration.ofMinutes(60), Duration.ofMinutes(10));
        ticks.set(5 * MINUTE);
        handle.committed();
        ticks.set(6 * MINUTE);
        handle.hold(); // one minute after the last event
        ticks.set(8 * MINUTE);
        handle.hold(); // the same pause

        ticks.set(40 * MINUTE);
        handle.release(); // nine minutes of the limit are left
        handle.release();
        ticks.set(48 * MINUTE);
        assertThat(handle.check()).isEqualTo(MINUTE);
        ticks.set(49 * MINUTE);
        assertThat(handle.check()).isEqualTo(-1);
        assertThat(handle.cutBecause()).isEqualTo("the provider sent nothing for 600000 ms");
    }

    @Test
    void aKeepAliveBeforeTheFirstContentDoesNotPutOffTheFirstContentLimit() {
        handle.bind(call);
        handle.watch(scheduler, Duration.ofMinutes(60), Duration.ofMinutes(10), Duration.ofMinutes(120));
        ticks.set(59 * MINUTE);
        handle.alive();

        ticks.set(60 * MINUTE);
        assertThat(handle.check()).isEqualTo(-1);
        assertThat(handle.cutBecause()).isEqualTo("no content within 3600000 ms");
    }

    @Test
    void aKeepAliveWithNoRequestDeadlineLeftPutsOffNothing() {
        handle.watch(scheduler, Duration.ofMinutes(60), Duration.ofMinutes(10));
        handle.committed();
        ticks.set(9 * MINUTE);
        handle.alive();

        ticks.set(10 * MINUTE);
        assertThat(handle.check()).isEqualTo(-1);
        assertThat(handle.cutBecause()).isEqualTo("the provider sent nothing for 600000 ms");
    }

    @Test
    void aFinishedAttemptIsWatchedNoMore() {
        handle.bind(call);
        handle.watch(scheduler, Duration.ofMinutes(60), Duration.ofMinutes(10));
        handle.finish();

        ticks.set(120 * MINUTE);
        assertThat(handle.check()).isEqualTo(-1);
        assertThat(handle.cut()).isNull();
        assertThat(call.isCancelled()).isFalse();
    }

    @Test
    void aFinishedAttemptLeavesNoCheckScheduled() {
        // as the gateway's scheduler does: a cancelled check leaves the queue at once
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1);
        timers.setRemoveOnCancelPolicy(true);
        try {
            handle.bind(call);
            handle.watch(timers, Duration.ofMinutes(60), Duration.ofMinutes(10));
            assertThat(timers.getQueue()).hasSize(1);

            handle.finish();

            assertThat(timers.getQueue()).as("nothing holds the finished attempt until its limit").isEmpty();
        } finally {
            timers.shutdownNow();
        }
    }

    @Test
    void theFirstCutWinsAndACallBoundAfterItIsCancelledAsItIsBound() {
        handle.cancel();
        handle.abandon();
        handle.bind(call);

        assertThat(handle.cut()).isEqualTo(AttemptHandle.Cut.CANCELLED);
        assertThat(handle.cutFailure().failureClass()).isEqualTo(FailureClass.CANCELLED);
        assertThat(handle.cutFailure().isAbandonment()).isFalse();
        assertThat(call.isCancelled()).isTrue();
    }

    @Test
    void anAttemptWhoseCallerLeftEndsAsAbandoned() {
        handle.bind(call);
        handle.abandon();

        assertThat(handle.cutFailure().isAbandonment()).isTrue();
        assertThat(call.isCancelled()).isTrue();
    }

    @Test
    void anAttemptNeverCutHasNoCutFailure() {
        handle.bind(call);
        ticks.set(5 * MINUTE);

        assertThat(handle.cutFailure()).isNull();
        assertThat(handle.elapsedNanos()).isEqualTo(5 * MINUTE);
        assertThat(call.isCancelled()).isFalse();
    }
}
