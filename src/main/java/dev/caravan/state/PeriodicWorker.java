package dev.caravan.state;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;

/**
 * A daemon thread that runs a task every interval, or at once when woken, until stopped: the background sync of the
 * state shared through the store. A failing run is logged and the next one goes ahead.
 */
public final class PeriodicWorker {

    private final String name;
    private final long intervalNanos;
    private final Runnable task;
    private final Logger log;
    private final String failure;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition due = lock.newCondition();
    private volatile boolean wake;
    private volatile boolean running;
    private Thread thread;

    /**
     * @param name    the thread's name
     * @param log     where a failing run is logged, with {@code failure} as its message
     */
    public PeriodicWorker(String name, Duration interval, Runnable task, Logger log, String failure) {
        this.name = name;
        this.intervalNanos = interval.toNanos();
        this.task = task;
        this.log = log;
        this.failure = failure;
    }

    public void start() {
        running = true;
        thread = Thread.ofPlatform().daemon().name(name).start(this::run);
    }

    /** Runs the task now rather than at the end of the interval; a wake before {@link #start} runs it first thing. */
    public void wake() {
        lock.lock();
        try {
            wake = true;
            due.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the thread, waiting a little for a run under way; whether it had been started. */
    public boolean stop() {
        running = false;
        if (thread == null) {
            return false;
        }
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    private void run() {
        while (running) {
            lock.lock();
            try {
                if (!wake) {
                    due.awaitNanos(intervalNanos);
                }
                wake = false;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (!running) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn(failure, e);
            }
        }
    }
}
