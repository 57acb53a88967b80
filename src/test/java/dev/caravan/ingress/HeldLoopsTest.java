package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.impl.btc.BlockedThreadEvent;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A turn held on a real event loop past the threshold is counted once, however many of Vert.x's checks see it, and
 * named by the frames the loop was in; the turns are released by the test, never timed.
 */
class HeldLoopsTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Vertx vertx;

    @AfterEach
    void close() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    @Test
    void aTurnHeldPastTheThresholdIsCountedOnceAndNamedByItsFrames() throws Exception {
        vertx = Vertx.vertx(HeldLoops.watching(new VertxOptions().setEventLoopPoolSize(1), Duration.ofMillis(20)));
        HeldLoops loops = HeldLoops.install((VertxInternal) vertx, meters);

        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        vertx.runOnContext(v -> holdLoop(release, ended));
        // held until the checker has told of it several times over: each later report is the same turn
        await().atMost(Duration.ofMinutes(1)).until(() -> loops.turns() == 1 && loops.reports() >= 3);
        release.countDown();
        assertThat(ended.await(1, TimeUnit.MINUTES)).isTrue();

        assertThat(loops.turns()).isEqualTo(1);
        assertThat(meters.get("caravan.http.loop.held").counter().count()).isEqualTo(1.0);
        assertThat(loops.last()).startsWith("vert.x-eventloop-thread-0: ").contains("HeldLoopsTest.holdLoop");

        CountDownLatch second = new CountDownLatch(1);
        CountDownLatch secondEnded = new CountDownLatch(1);
        vertx.runOnContext(v -> holdLoop(second, secondEnded));
        await().atMost(Duration.ofMinutes(1)).until(() -> loops.turns() == 2);
        second.countDown();
        assertThat(secondEnded.await(1, TimeUnit.MINUTES)).isTrue();
        assertThat(meters.get("caravan.http.loop.held").counter().count()).isEqualTo(2.0);
    }

    @Test
    void aLaterTurnFirstSeenLongerThanTheLastReportOfTheOneBeforeIsCountedToo() throws Exception {
        vertx = Vertx.vertx(HeldLoops.watching(new VertxOptions().setEventLoopPoolSize(1), Duration.ofMillis(20)));
        HeldLoops loops = HeldLoops.install((VertxInternal) vertx, meters);
        // the checker's reports reach the meter through a gate the test holds: all of the first turn's, none between
        // the turns, and of the second only those longer than the first turn's last
        AtomicInteger phase = new AtomicInteger(1);
        AtomicLong lastOfFirst = new AtomicLong();
        AtomicInteger passedOfSecond = new AtomicInteger();
        ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(event -> {
            switch (phase.get()) {
                case 1 -> {
                    lastOfFirst.set(event.duration());
                    loops.report(event);
                }
                case 3 -> {
                    if (event.duration() > lastOfFirst.get()) {
                        loops.report(event);
                        passedOfSecond.incrementAndGet();
                    }
                }
                default -> { }
            }
        });

        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        vertx.runOnContext(v -> holdLoop(release, ended));
        await().atMost(Duration.ofMinutes(1)).until(() -> loops.reports() >= 2);
        phase.set(2);
        release.countDown();
        assertThat(ended.await(1, TimeUnit.MINUTES)).isTrue();
        CountDownLatch idle = new CountDownLatch(1);
        vertx.runOnContext(v -> idle.countDown()); // runs once the first turn has ended
        assertThat(idle.await(1, TimeUnit.MINUTES)).isTrue();
        assertThat(loops.turns()).isEqualTo(1);

        phase.set(3);
        CountDownLatch second = new CountDownLatch(1);
        CountDownLatch secondEnded = new CountDownLatch(1);
        vertx.runOnContext(v -> holdLoop(second, secondEnded));
        await().atMost(Duration.ofMinutes(1)).until(() -> passedOfSecond.get() >= 1);
        second.countDown();
        assertThat(secondEnded.await(1, TimeUnit.MINUTES)).isTrue();

        assertThat(loops.turns()).isEqualTo(2);
        assertThat(meters.get("caravan.http.loop.held").counter().count()).isEqualTo(2.0);
    }

    @Test
    void reportsOfOneTurnCountItOnceAndATurnBegunLaterIsANewOneHoweverLongItRanWhenFirstSeen() {
        AtomicLong ticks = new AtomicLong();
        HeldLoops loops = new HeldLoops(meters, ticks::get);
        Thread loop = Thread.currentThread();

        ticks.set(ms(6));
        loops.report(new BlockedThreadEvent(loop, ms(6), ms(5), ms(5)));
        ticks.set(ms(8));
        loops.report(new BlockedThreadEvent(loop, ms(8), ms(5), ms(5)));
        ticks.set(ms(12));
        loops.report(new BlockedThreadEvent(loop, ms(12), ms(5), ms(5)));
        assertThat(loops.turns()).isEqualTo(1);
        assertThat(loops.reports()).isEqualTo(3);
        assertThat(loops.last()).contains("HeldLoopsTest.reportsOfOneTurnCountItOnce");

        // the loop ran other turns; one begun at 20 ms is first seen at 47 ms, longer than the last report above
        ticks.set(ms(47));
        loops.report(new BlockedThreadEvent(loop, ms(27), ms(5), ms(5)));
        ticks.set(ms(50));
        loops.report(new BlockedThreadEvent(loop, ms(30), ms(5), ms(5)));
        assertThat(loops.turns()).isEqualTo(2);
        // and one begun at 51 ms, seen shorter
        ticks.set(ms(57));
        loops.report(new BlockedThreadEvent(loop, ms(6), ms(5), ms(5)));

        assertThat(loops.turns()).isEqualTo(3);
        assertThat(loops.reports()).isEqualTo(6);
        assertThat(meters.get("caravan.http.loop.held").counter().count()).isEqualTo(3.0);
    }

    @Test
    void aLoopsFramesAreTakenOnlyForTheTurnsToldInALine() {
        AtomicLong ticks = new AtomicLong();
        HeldLoops loops = new HeldLoops(meters, ticks::get);
        AtomicInteger stacksTaken = new AtomicInteger();
        Thread loop = new Thread(() -> { }, "vert.x-eventloop-thread-3") {
            @Override
            public StackTraceElement[] getStackTrace() {
                stacksTaken.incrementAndGet();
                return super.getStackTrace();
            }
        };

        // a held turn every second for eleven seconds: the first and the one 10 s later are told
        for (int second = 0; second <= 10; second++) {
            ticks.set(Duration.ofSeconds(second).toNanos() + ms(6));
            loops.report(new BlockedThreadEvent(loop, ms(6), ms(5), ms(5)));
        }

        assertThat(loops.turns()).isEqualTo(11);
        assertThat(loops.told()).isEqualTo(2);
        assertThat(stacksTaken).hasValue(2);
    }

    @Test
    void aLoopsHeldTurnsAreToldAtMostOnceEveryTenSecondsAndAllCounted() {
        AtomicLong ticks = new AtomicLong();
        HeldLoops loops = new HeldLoops(meters, ticks::get);
        Thread loop = Thread.currentThread();
        Thread other = new Thread(() -> { }, "vert.x-eventloop-thread-1");

        loops.report(new BlockedThreadEvent(loop, 6_000_000, 5_000_000, 5_000_000));
        ticks.addAndGet(Duration.ofSeconds(9).toNanos());
        loops.report(new BlockedThreadEvent(loop, 6_000_000, 5_000_000, 5_000_000)); // a new turn, 9 s later
        loops.report(new BlockedThreadEvent(other, 6_000_000, 5_000_000, 5_000_000)); // another loop's first
        assertThat(loops.told()).isEqualTo(2);
        ticks.addAndGet(Duration.ofSeconds(1).toNanos());
        loops.report(new BlockedThreadEvent(loop, 6_000_000, 5_000_000, 5_000_000)); // 10 s after the first line

        assertThat(loops.told()).isEqualTo(3);
        assertThat(loops.turns()).isEqualTo(4);
    }

    @Test
    void aWorkersLongRunIsNoHeldLoop() {
        HeldLoops loops = new HeldLoops(meters, () -> 0);
        Thread worker = new io.vertx.core.impl.VertxThread(() -> { }, "vert.x-worker-thread-0", true, 60,
                TimeUnit.SECONDS);

        loops.report(new BlockedThreadEvent(worker, 61_000_000_000L, 60_000_000_000L, 60_000_000_000L));

        assertThat(loops.turns()).isZero();
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private void holdLoop(CountDownLatch release, CountDownLatch ended) {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ended.countDown();
        }
    }
}
