package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One event loop's call deadlines share one pending timer: calls that start and end one after another schedule
 * nothing each, an earlier deadline brings the timer forward, and a deadline that passes reaches its call's check
 * (which may watch again) while an ended call's never does.
 */
class LoopDeadlinesTest {

    private final AtomicInteger scheduled = new AtomicInteger();
    /** A real event loop, counting the timers scheduled on it. */
    private final DefaultEventLoop loop = new DefaultEventLoop() {
        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            scheduled.incrementAndGet();
            return super.schedule(command, delay, unit);
        }
    };
    private final List<String> dueCalls = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Call extends LoopDeadlines.Watched {
        private final String name;
        private int rewatches;

        Call(String name, int rewatches) {
            this.name = name;
            this.rewatches = rewatches;
        }

        @Override
        void due() {
            dueCalls.add(name);
            if (rewatches-- > 0) {
                LoopDeadlines.of(loop).add(this, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    private <T> T onLoop(Supplier<T> work) {
        return loop.submit(work::get).syncUninterruptibly().getNow();
    }

    private static long inMillis(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void callsStartingAndEndingOneAfterAnotherShareOneTimer() {
        onLoop(() -> {
            LoopDeadlines deadlines = LoopDeadlines.of(loop);
            for (int i = 0; i < 100; i++) {
                Call call = new Call("call " + i, 0);
                deadlines.add(call, inMillis(60_000));
                deadlines.remove(call);
            }
            return null;
        });

        assertThat(scheduled.get()).isEqualTo(1);
        assertThat(dueCalls).isEmpty();
    }

    @Test
    void aPassedDeadlineReachesItsCallAndAnEndedCallsNever() {
        onLoop(() -> {
            LoopDeadlines deadlines = LoopDeadlines.of(loop);
            Call late = new Call("late", 1);
            Call ended = new Call("ended", 0);
            deadlines.add(late, inMillis(60_000));
            deadlines.add(ended, inMillis(100));
            deadlines.add(late, inMillis(100)); // earlier than the pending timer: it comes forward
            deadlines.remove(ended);
            return null;
        });

        // due at its deadline, then once more after it watched again from its check
        await().atMost(Duration.ofSeconds(10)).until(() -> dueCalls.size() == 2);
        assertThat(dueCalls).containsExactly("late", "late");
        assertThat(scheduled.get()).as("the first timer, the one brought forward, the one for the watch again")
                .isEqualTo(3);
    }
}
