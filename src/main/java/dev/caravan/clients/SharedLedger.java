package dev.caravan.clients;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.caravan.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger of a replica that shares its clients' spend and rates through Redis ({@link RedisLedger}), and what
 * it does while Redis is lost.
 * <p>
 * Within a window, spend only grows: what a replica last read is a floor it writes back with each sync, so a Redis
 * restarted empty takes up the spend again rather than granting the budget anew (and settlements sent again after
 * it charge once, by their ids; a hold it forgot frees nothing, so nothing goes below zero).
 * <p>
 * An admission is the one round trip on a request's path. Settlements are sent in the background, with the
 * replica's heartbeat and a read of every client's spend, in one pipeline per interval: a request's hold counts
 * until then, so a late settlement only keeps its estimate counted a little longer, never lets more through.
 * <p>
 * While Redis is lost, in {@code refuse} mode an admission throws {@link StoreLost}; in {@code local} mode this
 * replica admits on its own, within its share of what was left when it last saw the store: (budget - spent -
 * held) / N, and each rate / N, N the replicas last seen alive. What it spends on its own is handed to Redis once
 * Redis is back, each amount under an id of its own, so that sending it twice charges it once.
 */
public final class SharedLedger implements Ledger, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SharedLedger.class);

    /** Thrown by an admission while the store is lost, in {@code refuse} mode. */
    public static final class StoreLost extends RuntimeException {
        StoreLost(String message) {
            super(message, null, false, false);
        }
    }

    /** A client's spend as last read from Redis, in its window. */
    private record Seen(long window, long spent, long reserved) {
    }

    private final RedisLedger shared;
    private final LocalLedger own = new LocalLedger();
    private final Map<String, BudgetPeriod> periods;
    private final String replica;
    private final Duration interval;
    private final Duration heartbeat;
    private final boolean refuse;
    private final Clock clock;
    private final ConcurrentLinkedQueue<RedisLedger.Settlement> pending = new ConcurrentLinkedQueue<>();
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final AtomicLong handOns = new AtomicLong();
    private volatile boolean connected = true;
    private volatile boolean running;
    private volatile int replicas = 1;
    private volatile Instant lostSince;
    private Thread worker;

    /**
     * @param periods  each limited client's budget period
     * @param interval how often settlements, heartbeat and spends go to and come from Redis
     * @param refuse   whether admissions are refused while Redis is lost (else this replica admits on its own)
     */
    public SharedLedger(RedisLedger shared, Map<String, BudgetPeriod> periods, String replica, Duration interval,
            boolean refuse, Clock clock) {
        this.shared = shared;
        this.periods = Map.copyOf(periods);
        this.replica = replica;
        this.interval = interval;
        // a replica is counted for a while after its last heartbeat: a slow one is not forgotten at once
        this.heartbeat = interval.multipliedBy(10).compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2)
                : interval.multipliedBy(10);
        this.refuse = refuse;
        this.clock = clock;
    }

    public void start() {
        running = true;
        sync();
        worker = Thread.ofPlatform().daemon().name("caravan-client-ledger").start(this::run);
    }

    @Override
    public Verdict admit(String client, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor, long floor) {
        long window = limits.period().window(now);
        if (connected) {
            try {
                Seen s = seen.get(client);
                Verdict v = shared.admit(client, id, limits, nanos, tokens, now, holdFor,
                        Math.max(floor, s != null && s.window() == window ? s.spent() : 0));
                seen.merge(client, new Seen(window, v.spent(), 0), (a, b) -> a.window() != b.window() ? b
                        : new Seen(a.window(), Math.max(a.spent(), b.spent()), a.reserved()));
                return v;
            } catch (StateStore.Unavailable e) {
                lost(e);
            }
        }
        if (refuse) {
            throw new StoreLost("the shared state store is unreachable");
        }
        return own.admit(client, id, ownShare(client, limits, now), nanos, tokens, now, holdFor, 0);
    }

    /** This replica's share of what was left of {@code client}'s limits when it last saw the store. */
    Limits ownShare(String client, Limits limits, Instant now) {
        int n = Math.max(1, replicas);
        Seen s = seen.get(client);
        long window = limits.period().window(now);
        long known = s != null && s.window() == window ? s.spent() + s.reserved() : 0;
        for (RedisLedger.Settlement p : pending) {
            if (p.hold().client().equals(client) && p.hold().window() == window && p.id().startsWith("sync:")) {
                known += p.nanos(); // handed on from an earlier outage, not yet in what was seen
            }
        }
        return new Limits(limits.budget() < 0 ? -1 : Math.max(0, limits.budget() - known) / n, limits.period(),
                limits.rpm() == 0 ? 0 : Math.max(1, limits.rpm() / n), limits.tpm() == 0 ? 0
                        : Math.max(1, limits.tpm() / n));
    }

    @Override
    public void settle(Hold hold, long nanos, long tokens, Instant now) {
        if (hold.local()) {
            own.settle(hold, nanos, tokens, now);
        } else {
            pending.add(new RedisLedger.Settlement(hold, hold.id(), nanos, tokens));
        }
    }

    /** What the client has spent and has held, as last read from Redis, and on this replica's own since. */
    @Override
    public Spend spend(String client, BudgetPeriod period, Instant now) {
        Seen s = seen.get(client);
        long window = period.window(now);
        Spend mine = own.spend(client, period, now);
        long spent = s != null && s.window() == window ? s.spent() : 0;
        long reserved = s != null && s.window() == window ? s.reserved() : 0;
        return new Spend(spent + mine.spent(), reserved + mine.reserved());
    }

    /** False while Redis is lost. */
    public boolean connected() {
        return connected;
    }

    /** The replicas last seen alive, this one included. */
    public int replicas() {
        return replicas;
    }

    public Instant lostSince() {
        return connected ? null : lostSince;
    }

    /** One pipeline: settlements and spend handed on go out, the heartbeat too, every client's spend comes in. */
    void sync() {
        List<RedisLedger.Settlement> batch = new ArrayList<>();
        if (connected) {
            Instant now = clock.instant();
            for (LocalLedger.Taken t : own.takeSpent(periods)) {
                String id = "sync:" + replica + ":" + now.toEpochMilli() + ":" + handOns.incrementAndGet();
                pending.add(new RedisLedger.Settlement(new Hold(t.client(), id, t.period(), t.window(), 0, 0, 0,
                        false), id, t.nanos(), 0));
            }
        }
        for (RedisLedger.Settlement s; (s = pending.poll()) != null; ) {
            batch.add(s);
        }
        Instant now = clock.instant();
        Map<String, RedisLedger.Floor> floors = new java.util.LinkedHashMap<>();
        periods.forEach((client, period) -> {
            Seen s = seen.get(client);
            floors.put(client, new RedisLedger.Floor(period, s != null && s.window() == period.window(now)
                    ? s.spent() : 0));
        });
        try {
            RedisLedger.Sync s = shared.sync(batch, replica, heartbeat, floors, now);
            replicas = Math.max(1, s.replicas());
            s.spends().forEach((client, spend) -> seen.put(client, new Seen(periods.get(client).window(now),
                    spend.spent(), spend.reserved())));
            if (!connected) {
                LOG.warn("state store reachable again: clients' spend and rates are shared again");
            }
            connected = true;
        } catch (StateStore.Unavailable e) {
            pending.addAll(batch);
            lost(e);
        }
    }

    private void lost(RuntimeException e) {
        if (connected) {
            lostSince = clock.instant();
            LOG.warn("state store lost: clients' limits are {} ({})", refuse ? "refusing every request"
                    : "enforced by this replica alone, at its share of 1/" + Math.max(1, replicas), e.getMessage());
        }
        connected = false;
    }

    private void run() {
        long nanos = interval.toNanos();
        while (running) {
            LockSupport.parkNanos(nanos);
            if (Thread.interrupted() || !running) {
                break;
            }
            try {
                sync();
            } catch (RuntimeException e) {
                LOG.warn("sharing clients' spend failed", e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (worker != null) {
            worker.interrupt();
            try {
                worker.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!pending.isEmpty()) {
                sync(); // the last settlements, if the store can take them
            }
        }
        shared.close();
    }
}
