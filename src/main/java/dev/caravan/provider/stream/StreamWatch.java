package dev.caravan.provider.stream;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import dev.caravan.provider.AttemptControls;

/**
 * Cuts a streamed attempt's connection when its first content, or once content flows its next event, is late.
 * Armed when the attempt starts, so a provider that never sends its answer's head is caught too. One per attempt;
 * all share one scheduler thread, each re-arming itself only when its limit comes due.
 *
 * <p>The HTTP client's read timeout cannot do this: it is one value for the whole exchange, while a stream needs two.
 */
public final class StreamWatch {

    private final ScheduledExecutorService scheduler;
    private final LongSupplier ticker;
    private final AttemptControls.Connection connection;
    private final long startedNanos;
    private final Duration firstContent;
    private final Duration idle;
    private volatile long lastEventNanos;
    private volatile boolean committed;
    private volatile boolean finished;

    private StreamWatch(ScheduledExecutorService scheduler, LongSupplier ticker, AttemptControls.Connection connection,
            long startedNanos, Duration firstContent, Duration idle) {
        this.scheduler = scheduler;
        this.ticker = ticker;
        this.connection = connection;
        this.startedNanos = startedNanos;
        this.firstContent = firstContent;
        this.idle = idle;
    }

    /**
     * @param firstContent how long after {@code startedNanos} the first content may come
     * @param idle         the longest pause between events once content flows
     */
    public static StreamWatch arm(ScheduledExecutorService scheduler, AttemptControls.Connection connection,
            long startedNanos, Duration firstContent, Duration idle) {
        return arm(scheduler, System::nanoTime, connection, startedNanos, firstContent, idle);
    }

    /** @param ticker the nanosecond clock {@code startedNanos} was read from, and the limits are measured by */
    public static StreamWatch arm(ScheduledExecutorService scheduler, LongSupplier ticker,
            AttemptControls.Connection connection, long startedNanos, Duration firstContent, Duration idle) {
        StreamWatch watch = new StreamWatch(scheduler, ticker, connection, startedNanos, firstContent, idle);
        scheduler.schedule(watch::check, Math.max(0, startedNanos + firstContent.toNanos() - ticker.getAsLong()),
                TimeUnit.NANOSECONDS);
        return watch;
    }

    public AttemptControls.Connection connection() {
        return connection;
    }

    void touch() {
        lastEventNanos = ticker.getAsLong();
    }

    void committed() {
        lastEventNanos = ticker.getAsLong();
        committed = true;
    }

    /** Stops watching: the attempt ended one way or another. */
    public void finish() {
        finished = true;
    }

    /** Why the connection was cut for lateness, or null. */
    String expired() {
        return connection.cutBecause();
    }

    private void check() {
        if (finished) {
            return;
        }
        long now = ticker.getAsLong();
        long due;
        if (!committed) {
            due = startedNanos + firstContent.toNanos();
            if (now >= due) {
                connection.cutBecause("no content within " + firstContent.toMillis() + " ms");
                return;
            }
        } else {
            due = lastEventNanos + idle.toNanos();
            if (now >= due) {
                connection.cutBecause("the provider sent nothing for " + idle.toMillis() + " ms");
                return;
            }
        }
        scheduler.schedule(this::check, due - now, TimeUnit.NANOSECONDS);
    }
}
