package dev.caravan.testing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scheduler on a ticker the test moves: a task comes due when the ticker reaches its time, and runs only when the
 * test lets the ticker run on to it ({@link #runUntil}), on the test's thread. What a watch schedules is thereby seen
 * to come due when the ticker says, with no real time waited. The gateway's event loops may schedule while the test
 * moves the ticker, so the task list is guarded; a task runs outside the guard, as a timer's would.
 */
public final class TickedScheduler extends AbstractExecutorService implements ScheduledExecutorService {

    private final AtomicLong ticks;
    private final List<Task> tasks = new ArrayList<>();

    public TickedScheduler(AtomicLong ticks) {
        this.ticks = ticks;
    }

    /** Moves the ticker on to {@code nanos}, running each task at its own due time on the way, in order. */
    public void runUntil(long nanos) {
        while (true) {
            Task next;
            synchronized (tasks) {
                next = tasks.stream().filter(t -> !t.cancelled && !t.done && t.due <= nanos)
                        .min(Comparator.comparingLong(t -> t.due)).orElse(null);
                if (next == null) {
                    ticks.set(nanos);
                    return;
                }
                ticks.set(Math.max(ticks.get(), next.due));
                next.done = true;
            }
            next.action.run();
        }
    }

    /** Tasks scheduled so far: run, cancelled or waiting. */
    public int scheduled() {
        synchronized (tasks) {
            return tasks.size();
        }
    }

    /** Tasks neither run nor cancelled. */
    public int pending() {
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
            throw new UnsupportedOperationException("the ticked scheduler's tasks are not waited for");
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
