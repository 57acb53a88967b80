package dev.caravan.provider;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

import org.apache.hc.core5.concurrent.Cancellable;

/**
 * The one handle on an attempt in flight: the time limits it runs under and the cut that ends it early.
 *
 * <p>Whoever must end an attempt before its answer is complete cuts it here: its own first-content or idle
 * deadline, the other half of a hedge that answered first, a caller who hung up, an answer larger than the gateway
 * reads. The first cut wins and is remembered, so that whoever then sees the call fail (a read that breaks) asks
 * the handle why instead of guessing from how the socket died. Cutting cancels the HTTP call bound to the handle at
 * once, whatever it is doing (waiting for a pooled connection, connecting, reading); a call bound after the cut is
 * cancelled as it is bound.
 *
 * <p>A streamed attempt is watched: its first content must come within {@code firstContent} of the attempt's start,
 * and once content flows each event within {@code idle} of the last. All watched attempts share one scheduler
 * thread, each re-arming itself only when its limit comes due. The HTTP client's read timeout cannot do this: it is
 * one value for the whole call, while a stream needs two.
 *
 * <p>A keep-alive (an SSE comment such as {@code : ping}, which providers send while a model thinks) proves the
 * provider is there, so it holds a committed stream open through a pause longer than {@code idle}, as an event does;
 * but it proves no progress, so such a pause may last at most until the request's deadline, which bounds how long
 * a caller waits with nothing new. Past it, only events keep the stream going. A provider sending nothing but
 * keep-alives is cut there. Before the first content they change nothing: the first-content limit counts from the
 * attempt's start, so that a target slow to answer is left for the next one.
 */
public final class AttemptHandle {

    /** Why an attempt was cut. */
    public enum Cut {
        /** A time limit ran out. */
        LATE,
        /** Its answer is no longer wanted: the other half of a hedge answered first. */
        CANCELLED,
        /** Its caller hung up: nobody is left to read the answer. */
        ABANDONED,
        /** The gateway refused to read on (an answer past the size limit). */
        REFUSED
    }

    private record Reason(Cut cut, String because) {
    }

    private final LongSupplier ticker;
    private final long startedNanos;
    private final AtomicReference<Reason> reason = new AtomicReference<>();
    private volatile Cancellable call;
    private volatile Duration firstContent;
    private volatile Duration idle;
    private volatile long lastEventNanos;
    /** The last keep-alive, or {@link Long#MIN_VALUE} before any. */
    private volatile long lastAliveNanos = Long.MIN_VALUE;
    /** Until when keep-alives may hold a pause open: the request's deadline, by the ticker. */
    private volatile long aliveUntilNanos;
    private volatile boolean committed;
    /** The relay paused the provider for a slow client: its silence meanwhile is not the provider's. */
    private volatile boolean held;
    private volatile long heldSinceNanos;
    private volatile boolean finished;
    /** The next check, cancelled when the attempt finishes: until due it holds the handle and the call it binds. */
    private volatile ScheduledFuture<?> nextCheck;
    /** Where the checks run, once watched. */
    private volatile ScheduledExecutorService checks;

    /**
     * @param ticker       the nanosecond clock {@code startedNanos} was read from; every limit is measured by it
     * @param startedNanos when the attempt started
     */
    public AttemptHandle(LongSupplier ticker, long startedNanos) {
        this.ticker = ticker;
        this.startedNanos = startedNanos;
    }

    /** Binds the HTTP call this handle cuts; cancelled at once when the attempt was cut already. */
    public void bind(Cancellable httpCall) {
        call = httpCall;
        if (reason.get() != null) {
            httpCall.cancel();
        }
    }

    /**
     * Watches a streamed attempt's first content and, once content flows, its pauses.
     *
     * @param firstContent how long after the attempt's start the first content may come
     * @param idle         the longest pause between events once content flows
     */
    public void watch(ScheduledExecutorService scheduler, Duration firstContent, Duration idle) {
        watch(scheduler, firstContent, idle, Duration.ZERO);
    }

    /**
     * @param untilDeadline what was left of the request's deadline when the attempt started: keep-alives may hold a
     *                      pause open until then, never past it
     */
    public void watch(ScheduledExecutorService scheduler, Duration firstContent, Duration idle,
            Duration untilDeadline) {
        this.firstContent = firstContent;
        this.idle = idle;
        this.aliveUntilNanos = startedNanos + untilDeadline.toNanos();
        this.checks = scheduler;
        schedule(scheduler, check());
    }

    private void schedule(ScheduledExecutorService scheduler, long inNanos) {
        if (inNanos >= 0) {
            ScheduledFuture<?> next = scheduler.schedule(() -> schedule(scheduler, check()), inNanos,
                    TimeUnit.NANOSECONDS);
            nextCheck = next;
            if (finished) {
                next.cancel(false);
            }
        }
    }

    /**
     * Applies the watched limits as of now: cuts the attempt when one ran out.
     *
     * @return nanoseconds until the next limit comes due, or -1 when nothing is left to watch
     */
    long check() {
        if (finished || reason.get() != null || firstContent == null) {
            return -1;
        }
        long now = ticker.getAsLong();
        if (!committed) {
            long due = startedNanos + firstContent.toNanos();
            if (now >= due) {
                cut(Cut.LATE, "no content within " + firstContent.toMillis() + " ms");
                return -1;
            }
            return due - now;
        }
        if (held) {
            return idle.toNanos(); // looked at again later; the client's drain limit ends a client that stays stalled
        }
        long lastEvent = lastEventNanos;
        long lastAlive = lastAliveNanos;
        long due = lastEvent + idle.toNanos();
        boolean keptAlive = lastAlive > lastEvent && Math.min(lastAlive + idle.toNanos(), aliveUntilNanos) > due;
        if (keptAlive) {
            due = Math.min(lastAlive + idle.toNanos(), aliveUntilNanos);
        }
        if (now >= due) {
            cut(Cut.LATE, !keptAlive ? "the provider sent nothing for " + idle.toMillis() + " ms"
                    : now >= aliveUntilNanos ? "the provider sent only keep-alives for "
                            + Duration.ofNanos(now - lastEvent).toMillis() + " ms, up to the request's deadline"
                    : "the provider sent nothing, not even a keep-alive, for " + idle.toMillis() + " ms");
            return -1;
        }
        return due - now;
    }

    /** An event arrived: the idle limit counts from now. */
    public void touch() {
        lastEventNanos = ticker.getAsLong();
    }

    /**
     * A keep-alive arrived (an SSE comment): once content flows, the idle limit counts from now, as long as the
     * request's deadline is not past.
     */
    public void alive() {
        lastAliveNanos = ticker.getAsLong();
    }

    /** The first content reached the client: from now on the idle limit applies instead of the first-content one. */
    public void committed() {
        lastEventNanos = ticker.getAsLong();
        committed = true;
        // the pending check was armed for the first content's limit, which may be far later than the idle one: a
        // stream that goes silent right after its first piece is cut at the idle limit, not when the first content's
        // would have run out
        ScheduledExecutorService scheduler = checks;
        ScheduledFuture<?> pending = nextCheck;
        if (scheduler != null && pending != null && pending.getDelay(TimeUnit.NANOSECONDS) > idle.toNanos()) {
            pending.cancel(false);
            schedule(scheduler, idle.toNanos());
        }
    }

    /**
     * The relay paused the provider's answer because the client reads more slowly than it comes: the idle limit
     * stops counting until {@link #release}, since the provider cannot send what the gateway does not read. Holding
     * a held attempt again, or releasing a released one, changes nothing.
     */
    public void hold() {
        if (held) {
            return; // the same pause: it began when it was first held
        }
        heldSinceNanos = ticker.getAsLong();
        held = true;
    }

    /**
     * The client caught up and the provider's answer is read again: the idle limit counts on as if the pause had not
     * been (the last event and keep-alive move forward by it; the request's deadline does not).
     */
    public void release() {
        if (!held) {
            return; // released already: the clock moved on by this pause once
        }
        long pausedNanos = ticker.getAsLong() - heldSinceNanos;
        lastEventNanos += pausedNanos;
        if (lastAliveNanos != Long.MIN_VALUE) {
            lastAliveNanos += pausedNanos;
        }
        held = false;
    }

    /** Stops watching: the attempt ended one way or another. */
    public void finish() {
        finished = true;
        ScheduledFuture<?> next = nextCheck;
        if (next != null) {
            next.cancel(false);
        }
    }

    /** Nanoseconds since the attempt started, by the handle's ticker. */
    public long elapsedNanos() {
        return ticker.getAsLong() - startedNanos;
    }

    /**
     * Cuts the attempt, unless it was cut already: the bound call is cancelled, a blocked read fails, and the
     * connection is closed unread, never reused.
     *
     * @return true when this cut was the first
     */
    public boolean cut(Cut cut, String because) {
        if (!reason.compareAndSet(null, new Reason(cut, because))) {
            return false;
        }
        Cancellable bound = call;
        if (bound != null) {
            bound.cancel();
        }
        return true;
    }

    /** Cuts the losing half of a hedge. */
    public void cancel() {
        cut(Cut.CANCELLED, ProviderFailure.CANCELLED_REASON);
    }

    /** Cuts an attempt whose caller hung up. */
    public void abandon() {
        cut(Cut.ABANDONED, ProviderFailure.ABANDONED_REASON);
    }

    /** Why the attempt was cut, or null while it was not. */
    public Cut cut() {
        Reason r = reason.get();
        return r == null ? null : r.cut();
    }

    /** What cut the attempt, in words, or null while it was not. */
    public String cutBecause() {
        Reason r = reason.get();
        return r == null ? null : r.because();
    }

    /**
     * The failure an attempt that was cut ends with, or null while it was not: abandoned, cancelled, or a timeout
     * saying which limit ran out.
     */
    public ProviderFailure cutFailure() {
        Reason r = reason.get();
        if (r == null) {
            return null;
        }
        return switch (r.cut()) {
            case ABANDONED -> ProviderFailure.abandoned();
            case CANCELLED -> ProviderFailure.cancelled();
            case LATE -> new ProviderFailure(FailureClass.TIMEOUT, 0, r.because(), null);
            case REFUSED -> new ProviderFailure(FailureClass.BAD_RESPONSE, 0, r.because(), null);
        };
    }
}
