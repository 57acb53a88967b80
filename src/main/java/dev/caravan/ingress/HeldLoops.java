package dev.caravan.ingress;

import dev.caravan.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.impl.VertxThread;
import io.vertx.core.impl.btc.BlockedThreadEvent;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the event-loop turns that ran longer than {@code caravan.http.loop-held-after}, and tells what each loop was
 * doing: every request and provider call on a loop waits behind its turn, so a long one shows in the latency tail of
 * all of them. Vert.x's blocked-thread checker does the watching; this takes its reports in place of its own log
 * lines, which come once per check while a turn lasts, each with a whole stack trace.
 *
 * <p>Here a turn is counted once ({@code caravan.http.loop.held}), however many checks see it, and told in one line
 * with the loop's innermost frames at the time, at most one line per loop every {@link #LOG_EVERY}: a threshold of a
 * few milliseconds, set to find what holds the loops, would otherwise write a line per turn. The frames are taken only
 * for a line that is written: taking them stops the loop at a safepoint, and with a low threshold most held turns
 * are told in no line. The turn's length is wall-clock time: a loop descheduled by a busy machine is held too, and
 * its frames say so (any frame of request work, different each time).
 *
 * <p>A turn is known by when it began, as the loop itself records it ({@link VertxThread#startTime()}): the checker
 * reports only how long it has run, and a later turn may first be seen longer than the last report of the one
 * before it.
 */
public final class HeldLoops {

    /** Log lines about held turns: at most one per loop this often. */
    static final Duration LOG_EVERY = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(HeldLoops.class);
    private static final int FRAMES = 6;

    private final Counter held;
    private final LongSupplier ticker;
    private final AtomicLong turns = new AtomicLong();
    private final AtomicLong reports = new AtomicLong();
    private final AtomicLong told = new AtomicLong();
    /** Per loop: when its last held turn began. */
    private final Map<Thread, Long> turnBegan = new ConcurrentHashMap<>();
    private final Map<Thread, Long> loggedAt = new ConcurrentHashMap<>();
    private volatile String last = "";

    /** @param ticker the loops' clock: {@link System#nanoTime()}, which Vert.x stamps a turn's start with */
    HeldLoops(MeterRegistry meters, LongSupplier ticker) {
        this.held = Counter.builder(Meters.LOOP_HELD)
                .description("Event-loop turns that ran longer than caravan.http.loop-held-after")
                .register(meters);
        this.ticker = ticker;
    }

    /**
     * The options that make Vert.x's checker report a turn once it ran {@code heldAfter}: it looks twice as often,
     * and its own stack-trace log lines are left to this class.
     */
    public static VertxOptions watching(VertxOptions options, Duration heldAfter) {
        long nanos = heldAfter.toNanos();
        return options.setMaxEventLoopExecuteTime(nanos).setMaxEventLoopExecuteTimeUnit(TimeUnit.NANOSECONDS)
                .setBlockedThreadCheckInterval(Math.max(1, heldAfter.toMillis() / 2))
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(nanos).setWarningExceptionTimeUnit(TimeUnit.NANOSECONDS);
    }

    /** Takes the reports of {@code vertx}'s checker (built with {@link #watching}) from now on. */
    public static HeldLoops install(VertxInternal vertx, MeterRegistry meters) {
        HeldLoops loops = new HeldLoops(meters, System::nanoTime);
        vertx.blockedThreadChecker().setThreadBlockedHandler(loops::report);
        return loops;
    }

    /** One report of the checker: a thread whose turn has run {@code duration} nanoseconds so far. */
    void report(BlockedThreadEvent event) {
        Thread thread = event.thread();
        if (thread instanceof VertxThread vt && vt.isWorker()) {
            return; // a worker may block: it has a threshold of its own (a minute), and is no loop
        }
        reports.incrementAndGet();
        long now = ticker.getAsLong();
        long began = beganAt(thread, event.duration(), now);
        Long before = turnBegan.get(thread);
        // a held turn ran at least maxExecTime, so the next one began that much later: nearer, it is the same turn
        // (nearer by a few microseconds only when the start was reckoned from the report, not read from the loop)
        if (before != null && Math.abs(began - before) < event.maxExecTime()) {
            return; // the same turn, seen again
        }
        turnBegan.put(thread, began); // only the checker's one thread reports
        turns.incrementAndGet();
        held.increment();
        Long logged = loggedAt.get(thread);
        if (logged == null || now - logged >= LOG_EVERY.toNanos()) {
            loggedAt.put(thread, now);
            told.incrementAndGet();
            String frames = Arrays.stream(thread.getStackTrace()).limit(FRAMES).map(StackTraceElement::toString)
                    .collect(Collectors.joining(" < "));
            last = thread.getName() + ": " + frames;
            LOG.warn("{} held past {} ms ({} such turns so far), at {}", thread.getName(),
                    TimeUnit.NANOSECONDS.toMillis(event.maxExecTime()), turns.get(), frames);
        }
    }

    /**
     * When the reported turn began: the loop's record of its turn's start while that turn still runs; once it ended
     * (between the check and now) or for a thread that keeps no record, as long before now as the report says it ran.
     */
    private static long beganAt(Thread thread, long duration, long now) {
        if (thread instanceof VertxThread vt) {
            long start = vt.startTime();
            // 0 between turns; a start less than the duration ago is a later turn's
            if (start != 0 && now - start >= duration) {
                return start;
            }
        }
        return now - duration;
    }

    /** Turns held past the threshold so far. */
    long turns() {
        return turns.get();
    }

    /** The checker's reports of event loops so far, a held turn's repeated ones included. */
    long reports() {
        return reports.get();
    }

    /** Held turns told in a log line so far. */
    long told() {
        return told.get();
    }

    /** The last held turn told in a line: its loop and innermost frames. */
    String last() {
        return last;
    }
}
