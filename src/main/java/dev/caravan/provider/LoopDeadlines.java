package dev.caravan.provider;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * The deadlines of one event loop's provider calls, served by one pending timer of the loop. A call's start adds its
 * deadline to the loop's list and its end takes it out, neither touching the timer while the timer fires first (a
 * call's deadline, a read timeout from now, is later than those of the calls before it); the timer, when it fires,
 * hands each call whose deadline passed to its check and waits for the earliest deadline left. A timer scheduled and
 * cancelled for every call was a visible share of the event loop's work, and one left pending until its deadline would
 * hold the whole call. The pending timer is always due at or before the earliest deadline: a check run while the timer
 * fires may watch its call again, and only once they all ran is the next timer set, for the earliest deadline left.
 * Used on its loop's thread only.
 *
 * <p>Deadlines are given by the gateway's ticker, the one the bodies' silence is measured by ({@code ArrivingBody}),
 * and the timer follows it: the loop's own timer where the ticker is the system's, else a scheduler that follows the
 * ticker (a test's, which then moves time on), whose firing is handed to the loop.
 */
final class LoopDeadlines {

    /** Something watched: a deadline, and the check it gets once that passed. */
    abstract static class Watched {
        private long deadlineNanos;
        private Watched previous;
        private Watched next;
        /** The list it is in, if any. */
        private LoopDeadlines listed;

        /** Called on the loop once the deadline passed, taken out of the list: add it again to keep watching. */
        abstract void due();
    }

    private static final FastThreadLocal<LoopDeadlines> OWN = new FastThreadLocal<>();

    /** Whose thread alone uses the list, and where the timer's firing runs. */
    private final Executor loop;
    /** Where the timer is scheduled: the loop itself, or a scheduler following {@link #ticker}. */
    private final ScheduledExecutorService timers;
    /** What deadlines are measured by. */
    private final LongSupplier ticker;
    private Watched first;
    private ScheduledFuture<?> timer;
    /**
     * Counts the timers set: a firing handed to the loop by another scheduler may arrive after its timer was replaced
     * (a cancel there cannot take back a hand-off already made), and is then ignored.
     */
    private long timersSet;
    private long firesAtNanos;
    /** While the due calls' checks run: a check that watches again leaves the next timer to the end of the firing. */
    private boolean firing;

    /**
     * @param loop   where the timer is scheduled, whose thread alone uses the list
     * @param ticker the nanosecond clock deadlines are given by, the one {@code loop}'s delays elapse by
     */
    LoopDeadlines(ScheduledExecutorService loop, LongSupplier ticker) {
        this(loop, loop, ticker);
    }

    /**
     * @param loop   whose thread alone uses the list, where the timer's firing runs
     * @param timers where the timer is scheduled: {@code loop} itself, or a scheduler whose delays elapse by
     *               {@code ticker} (its firing is handed to {@code loop})
     * @param ticker the nanosecond clock deadlines are given by
     */
    LoopDeadlines(Executor loop, ScheduledExecutorService timers, LongSupplier ticker) {
        this.loop = loop;
        this.timers = timers;
        this.ticker = ticker;
    }

    /**
     * The deadlines of {@code loop} by {@code ticker}, timed by {@code timers} (null: by the loop's own timer, whose
     * delays elapse by the system's ticker); called on its thread.
     */
    static LoopDeadlines of(EventLoop loop, LongSupplier ticker, ScheduledExecutorService timers) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("a loop's deadlines are its own thread's");
        }
        ScheduledExecutorService timedBy = timers == null ? loop : timers;
        LoopDeadlines own = OWN.getIfExists();
        if (own == null || own.loop != loop || own.ticker != ticker || own.timers != timedBy) {
            // a list left behind (another client's on the same loop) keeps its timer and serves its calls to the end
            own = new LoopDeadlines(loop, timedBy, ticker);
            OWN.set(own);
        }
        return own;
    }

    /** Now, by the ticker deadlines are given by. */
    long now() {
        return ticker.getAsLong();
    }

    /** Watches {@code watched} until {@code deadlineNanos} (by {@link #now()}), replacing its deadline. */
    void add(Watched watched, long deadlineNanos) {
        watched.deadlineNanos = deadlineNanos;
        if (watched.listed != null && watched.listed != this) {
            watched.listed.remove(watched);
        }
        if (watched.listed == null) {
            watched.listed = this;
            watched.previous = null;
            watched.next = first;
            if (first != null) {
                first.previous = watched;
            }
            first = watched;
        }
        if (firing) {
            return; // the firing ends by waiting for the earliest deadline, this one included
        }
        if (timer == null || deadlineNanos - firesAtNanos < 0) {
            if (timer != null) {
                timer.cancel(false);
            }
            schedule(deadlineNanos, ticker.getAsLong());
        }
    }

    /** Stops watching {@code watched}; the timer is left as it is (firing with nothing due, it ends). */
    void remove(Watched watched) {
        if (watched.listed != this) {
            return;
        }
        watched.listed = null;
        if (watched.previous != null) {
            watched.previous.next = watched.next;
        } else {
            first = watched.next;
        }
        if (watched.next != null) {
            watched.next.previous = watched.previous;
        }
        watched.previous = null;
        watched.next = null;
    }

    private void schedule(long deadlineNanos, long now) {
        firesAtNanos = deadlineNanos;
        long delay = Math.max(0, deadlineNanos - now);
        if (timers == loop) {
            timer = timers.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
            return;
        }
        long set = ++timersSet;
        timer = timers.schedule(() -> loop.execute(() -> {
            if (set == timersSet && timer != null) {
                fire();
            }
        }), delay, TimeUnit.NANOSECONDS);
    }

    private void fire() {
        timer = null;
        long now = ticker.getAsLong();
        List<Watched> due = new ArrayList<>();
        for (Watched w = first; w != null; w = w.next) {
            if (w.deadlineNanos - now <= 0) {
                due.add(w);
            }
        }
        RuntimeException thrown = null;
        firing = true;
        try {
            for (Watched w : due) {
                remove(w);
                try {
                    w.due(); // may add it again, with a later deadline
                } catch (RuntimeException e) {
                    thrown = e; // the other checks and the next timer first
                }
            }
        } finally {
            firing = false;
            // for the earliest deadline left, whichever call it is: a call watched again from its check would
            // otherwise set the timer for its own later deadline, and an earlier one would wait behind it
            if (first != null) {
                long earliest = first.deadlineNanos;
                for (Watched w = first.next; w != null; w = w.next) {
                    if (w.deadlineNanos - earliest < 0) {
                        earliest = w.deadlineNanos;
                    }
                }
                schedule(earliest, ticker.getAsLong());
            }
        }
        if (thrown != null) {
            throw thrown;
        }
    }
}
