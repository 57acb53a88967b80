package dev.caravan.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import dev.caravan.CaravanConfiguration;

/**
 * The gateway's ticker and stream watch, held still and moved on only by the test: an attempt's first-content and
 * idle limits run out when the test says ({@link #advance}), not when the machine gets round to it. A check comes due
 * when the ticker reaches its time and runs on the test's thread as the ticker passes it; the gateway's event loops
 * schedule checks meanwhile, so the task list is guarded.
 */
final class DrivenTime extends AbstractExecutorService implements ScheduledExecutorService {

    private final AtomicLong ticks = new AtomicLong(1_000_000_000L);
    private final List<Task> tasks = new ArrayList<>();

    /** The beans that put the gateway on this time, for {@link Gateway#startWith}. */
    Map<String, Object> beans() {
        return Map.of(CaravanConfiguration.TICKER, (LongSupplier) ticks::get, CaravanConfiguration.STREAM_WATCH, this);
    }

    /** Moves the ticker on by {@code by}, running each check that comes due on the way at its own time, in order. */
    void advance(Duration by) {
        long until = ticks.get() + by.toNanos();
        while (true) {
            Task next;
            synchronized (tasks) {
                tasks.removeIf(t -> t.cancelled || t.done);
                next = tasks.stream().filter(t -> t.due <= until).min(Comparator.comparingLong(t -> t.due))
                        .orElse(null);
                if (next == null) {
                    ticks.set(until);
                    return;
                }
                ticks.set(Math.max(ticks.get(), next.due));
                next.done = true;
            }
            next.action.run();
        }
    }

    /** Checks waiting for the ticker. */
    int pending() {
        synchronized (tasks) {
            return (int) tasks.stream().filter(t -> !t.cancelled && !t.done).count();
        }
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        synchronized (tasks) {
            Task task = new Task(command, ticks.get() + unit.toNanos(delay));
            tasks.add(task);
            return task;
        }
    }

    private final class Task implements ScheduledFuture<Object> {

        private final Runnable action;
        private final long due;
        private volatile boolean cancelled;
        private volatile boolean done;

        Task(Runnable action, long due) {
            this.action = action;
            this.due = due;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(due - ticks.get(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterrupt) {
            synchronized (tasks) {
                if (done || cancelled) {
                    return false;
                }
                cancelled = true;
                return true;
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return done || cancelled;
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException("the driven time's checks are not waited for");
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return get();
        }
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void execute(Runnable command) {
        command.run();
    }

    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }
}
