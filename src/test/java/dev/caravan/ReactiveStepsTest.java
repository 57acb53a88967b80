package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.camel.impl.engine.DefaultReactiveExecutor;
import org.apache.camel.spi.ReactiveExecutor;
import org.junit.jupiter.api.Test;

/**
 * Caravan's reactive executor runs steps in the order Camel's own does: each scenario is played on both, the real
 * {@link DefaultReactiveExecutor} and {@link ReactiveSteps}, and the orders compared (and checked against what
 * Camel's documented behaviour says, so that two executors equally wrong would not pass).
 */
class ReactiveStepsTest {

    /** A scenario: schedules steps on the executor, each step noting its name in the list when it runs. */
    private static List<String> play(ReactiveExecutor executor, Function<ReactiveExecutor, Runnable> scenario) {
        List<String> ran = new ArrayList<>();
        Recorder.ran = ran;
        scenario.apply(executor).run();
        return ran;
    }

    private static final class Recorder {
        static List<String> ran;
    }

    private static Runnable step(String name, Runnable then) {
        return () -> {
            Recorder.ran.add(name);
            then.run();
        };
    }

    private static Runnable step(String name) {
        return step(name, () -> { });
    }

    private static List<String> onBoth(Function<ReactiveExecutor, Runnable> scenario) {
        List<String> camel = play(new DefaultReactiveExecutor(), scenario);
        List<String> ours = play(new ReactiveSteps(), scenario);
        assertThat(ours).as("Caravan's order against Camel's").isEqualTo(camel);
        return ours;
    }

    @Test
    void aStepScheduledWhileAnotherRunsWaitsItsTurn() {
        List<String> ran = onBoth(ex -> () -> ex.schedule(step("a", () -> {
            ex.schedule(step("c"));
            Recorder.ran.add("b");
        })));
        assertThat(ran).containsExactly("a", "b", "c");
    }

    @Test
    void aNewMainFlowRunsToItsEndBeforeTheQueueItInterrupted() {
        List<String> ran = onBoth(ex -> () -> ex.schedule(step("outer", () -> {
            ex.schedule(step("queued"));
            ex.scheduleMain(step("main", () -> ex.schedule(step("main-next"))));
        })));
        assertThat(ran).containsExactly("outer", "main", "main-next", "queued");
    }

    @Test
    void aSyncStepRunsAtOnceAndTakesTheQueueWithIt() {
        List<String> ran = onBoth(ex -> () -> ex.schedule(step("outer", () -> {
            ex.schedule(step("queued"));
            ex.scheduleSync(step("sync"));
            Recorder.ran.add("after-sync");
        })));
        assertThat(ran).containsExactly("outer", "sync", "queued", "after-sync");
    }

    @Test
    void aQueuedStepWaitsUntilTheQueueIsAskedToRun() {
        List<String> ran = onBoth(ex -> () -> {
            ex.scheduleQueue(step("first"));
            ex.scheduleQueue(step("second"));
            Recorder.ran.add("queued both");
            while (ex.executeFromQueue()) {
                Recorder.ran.add("one done");
            }
        });
        assertThat(ran).containsExactly("queued both", "first", "one done", "second", "one done");
    }

    @Test
    void aFailingStepIsLoggedAndTheQueueGoesOn() {
        List<String> ran = onBoth(ex -> () -> ex.schedule(step("a", () -> {
            ex.schedule(() -> {
                throw new IllegalStateException("a step failed");
            });
            ex.schedule(step("after the failure"));
        })));
        assertThat(ran).containsExactly("a", "after the failure");
    }

    @Test
    void eachThreadHasItsOwnQueue() throws InterruptedException {
        ReactiveSteps executor = new ReactiveSteps();
        List<String> ran = new ArrayList<>();
        Recorder.ran = ran;
        executor.schedule(step("outer", () -> {
            // another thread's step runs there at once: this thread's queue, busy, is not that thread's
            Thread other = Thread.ofVirtual().unstarted(() -> executor.schedule(() -> ran.add("other thread")));
            other.start();
            try {
                other.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            ran.add("outer goes on");
        }));
        assertThat(ran).containsExactly("outer", "other thread", "outer goes on");
    }
}
