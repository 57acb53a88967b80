package dev.caravan.clients;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import dev.caravan.state.PeriodicWorker;
import dev.caravan.state.StateStore;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger of a replica that shares its clients' spend and rates through Redis ({@link RedisLedger}), and what
 * it does while Redis is lost.
 * <p>
 * An admission is the one round trip on a request's path. Settlements are counted at once in this process's own
 * entry of the shared spend, and sent in the background, with the replica's heartbeat and a read of every client's
 * spend, in one pipeline per interval: a request's hold counts until then, so a late settlement only keeps its
 * estimate counted a little longer, never lets more through. Why spend is exact across a Redis restarted empty:
 * {@code package-info}.
 * <p>
 * While Redis is lost, in {@code refuse} mode an admission throws {@link StoreLost}; in {@code local} mode this
 * replica admits on its own, within its share of what was left when it last saw the store: (budget - spent -
 * held) / N, and each rate / N, N the replicas last seen alive. What it spends on its own goes into its entry of
 * the shared spend too, which Redis takes once it is back.
 */
public final class SharedLedger implements Ledger, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SharedLedger.class);

    /** Thrown by an admission while the store is lost, in {@code refuse} mode. */
    public static final class StoreLost extends RuntimeException {
        StoreLost(String message) {
            super(message, null, false, false);
        }
    }

    private final RedisLedger shared;
    private final LocalLedger own = new LocalLedger();
    private final Map<String, BudgetPeriod> periods;
    private final boolean refuse;
    private final Clock clock;
    private volatile boolean connected = true;
    private volatile int replicas = 1;
    private volatile Instant lostSince;
    private final AtomicLong syncs = new AtomicLong();
    private final PeriodicWorker worker;

    /**
     * @param shared   this replica's side of the ledger in Redis
     * @param periods  each limited client's budget period
     * @param interval how often settlements, heartbeat and spends go to and come from Redis
     * @param refuse   whether admissions are refused while Redis is lost (else this replica admits on its own)
     */
    public SharedLedger(RedisLedger shared, Map<String, BudgetPeriod> periods, Duration interval, boolean refuse,
            Clock clock) {
        this.shared = shared;
        this.periods = Map.copyOf(periods);
        this.worker = new PeriodicWorker("caravan-client-ledger", interval, this::sync, LOG,
                "sharing clients' spend failed");
        this.refuse = refuse;
        this.clock = clock;
        shared.follow(periods);
    }

    /**
     * How long a replica's heartbeat counts it as alive, for a sync {@code interval}: a slow replica is not
     * forgotten at once.
     */
    public static Duration heartbeat(Duration interval) {
        return interval.multipliedBy(10).compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2)
                : interval.multipliedBy(10);
    }

    public void start() {
        sync();
        worker.start();
    }

    @Override
    public Verdict admit(String client, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor) {
        if (connected) {
            try {
                return shared.admit(client, id, limits, nanos, tokens, now, holdFor);
            } catch (StateStore.Unavailable e) {
                lost(e);
            }
        }
        return alone(client, id, limits, nanos, tokens, now, holdFor);
    }

    /**
     * {@link #admit} from a Vert.x event loop: the round trip to Redis holds no thread, and the verdict (or
     * {@link StoreLost}) comes on the caller's context.
     */
    public Future<Verdict> admitOnLoop(String client, String id, Limits limits, long nanos, long tokens,
            Instant now, Duration holdFor) {
        if (!connected) {
            try {
                return Future.succeededFuture(alone(client, id, limits, nanos, tokens, now, holdFor));
            } catch (StoreLost e) {
                return Future.failedFuture(e);
            }
        }
        return shared.admitOnLoop(client, id, limits, nanos, tokens, now, holdFor).recover(e -> {
            if (!(e instanceof StateStore.Unavailable lost)) {
                return Future.failedFuture(e);
            }
            lost(lost);
            return Future.succeededFuture(alone(client, id, limits, nanos, tokens, now, holdFor));
        });
    }

    /** An admission while the store is lost: refused, or within this replica's share. */
    private Verdict alone(String client, String id, Limits limits, long nanos, long tokens, Instant now,
            Duration holdFor) {
        if (refuse) {
            throw new StoreLost("the shared state store is unreachable");
        }
        return own.admit(client, id, ownShare(client, limits, now), nanos, tokens, now, holdFor);
    }

    /** This replica's share of what was left of {@code client}'s limits when it last saw the store. */
    Limits ownShare(String client, Limits limits, Instant now) {
        int n = Math.max(1, replicas);
        Spend known = shared.view(client, limits.period(), now);
        // what this replica spent on its own is in its shared entry and counted by its own ledger: once is enough
        long outside = known.spent() - own.spend(client, limits.period(), now).spent() + known.reserved();
        return new Limits(limits.budget() < 0 ? -1 : Math.max(0, limits.budget() - outside) / n, limits.period(),
                limits.rpm() == 0 ? 0 : Math.max(1, limits.rpm() / n), limits.tpm() == 0 ? 0
                        : Math.max(1, limits.tpm() / n));
    }

    @Override
    public void settle(Hold hold, long nanos, long tokens, Instant now) {
        if (hold.local()) {
            if (own.settleOnce(hold, nanos, tokens)) {
                shared.charge(hold.client(), hold.period(), hold.window(), nanos);
            }
        } else {
            shared.record(hold, nanos, tokens);
        }
    }

    /** What the client has spent (every replica's, as last read, this one's exactly) and has held. */
    @Override
    public Spend spend(String client, BudgetPeriod period, Instant now) {
        Spend known = shared.view(client, period, now);
        return new Spend(known.spent(), known.reserved() + own.spend(client, period, now).reserved());
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

    /** One pipeline: settlements and the heartbeat go out, every client's spend comes in. */
    void sync() {
        try {
            RedisLedger.Sync s = shared.sync(clock.instant());
            replicas = Math.max(1, s.replicas());
            // spent on this replica's own is in its shared entry now: its share starts afresh at the next loss
            own.takeSpent(periods);
            if (!connected) {
                LOG.warn("state store reachable again: clients' spend and rates are shared again");
            }
            connected = true;
            syncs.incrementAndGet();
        } catch (StateStore.Unavailable e) {
            lost(e);
        }
    }

    /**
     * The syncs completed so far: the other replicas' settlements known to Redis before one began are known here
     * once it completes.
     */
    public long syncs() {
        return syncs.get();
    }

    private void lost(RuntimeException e) {
        if (connected) {
            lostSince = clock.instant();
            LOG.warn("state store lost: clients' limits are {} ({})", refuse ? "refusing every request"
                    : "enforced by this replica alone, at its share of 1/" + Math.max(1, replicas), e.getMessage());
        }
        connected = false;
    }

    @Override
    public void close() {
        if (worker.stop()) {
            sync(); // the last settlements, if the store can take them
        }
        shared.close();
    }
}
