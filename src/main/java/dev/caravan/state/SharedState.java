package dev.caravan.state;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.RateLimits;
import dev.caravan.provider.RateLimitHeaders;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares what one replica learns about providers with the others, through the {@link StateStore}: key cooldowns,
 * rate-limit headroom and breaker states. The boards stay in memory and answer the request path with no round
 * trip; one background thread sends what this replica learnt and reads what the others learnt, in one exchange
 * per {@code caravan.state.refresh-interval}, at once after a cooldown or a breaker change. A short poll rather
 * than pub/sub: one round trip per interval whatever the traffic, and after a lost store the next read is the
 * whole truth again, with no missed message to make up for.
 */
public final class SharedState implements AutoCloseable {

    /** A breaker record lives this long after its last change: a provider down for a day is probed anew. */
    private static final Duration BREAKER_TTL = Duration.ofDays(1);
    /** A rate-limit report that names no reset time is kept this long. */
    private static final Duration REPORT_TTL = Duration.ofMinutes(1);
    private static final Logger LOG = LoggerFactory.getLogger(SharedState.class);

    /** What the status page says about the store. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Status(String store, String replica, Boolean shared,
            @JsonProperty("on_store_loss") String onStoreLoss, @JsonProperty("lost_since") String lostSince,
            @JsonProperty("last_error") String lastError) {
    }

    private final StateSettings settings;
    private final StateStore store;
    private final Cooldowns cooldowns;
    private final RateLimits rateLimits;
    private final Map<String, Integer> keyCounts;
    private final SharedBreakers breakers;
    private final Clock clock;
    private final List<String> keys = new ArrayList<>();
    private final Map<String, StateStore.Write> pending = new ConcurrentHashMap<>();
    private volatile boolean connected = true;
    private volatile boolean resync = true;
    private volatile Instant lostSince;
    private volatile String lastError;
    private final PeriodicWorker worker;

    /**
     * @param keyCounts each provider's number of API keys, in configured order
     * @param breakers  each provider's breaker
     */
    public SharedState(StateSettings settings, StateStore store, Cooldowns cooldowns, RateLimits rateLimits,
            Map<String, Integer> keyCounts, Map<String, CircuitBreaker> breakers, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.cooldowns = cooldowns;
        this.rateLimits = rateLimits;
        this.keyCounts = new LinkedHashMap<>(keyCounts);
        this.clock = clock;
        this.worker = new PeriodicWorker("caravan-shared-state", settings.refreshInterval(), this::refresh, LOG,
                "sharing state failed");
        this.breakers = new SharedBreakers(breakers, settings.replicaId(), BREAKER_TTL, clock, this::offer);
        if (settings.shared()) {
            this.breakers.listen();
        }
        keyCounts.forEach((provider, count) -> {
            keys.add(SharedBreakers.key(provider));
            for (int k = 0; k < count; k++) {
                keys.add(cooldownKey(provider, k));
                keys.add(reportKey(provider, k));
            }
        });
        if (settings.shared()) {
            cooldowns.listen((provider, key, until, reason) -> offer(rest(provider, key, until, reason), true));
            rateLimits.listen((provider, key, headers, at) -> offer(report(provider, key, headers, at), false));
        }
    }

    /** Starts sharing; nothing happens for a local store. */
    public void start() {
        if (!settings.shared()) {
            return;
        }
        worker.start();
    }

    /** Whether this replica may send {@code provider}'s recovery probe now: it holds the probe's lease. */
    public boolean mayProbe(String provider, Duration interval) {
        if (!settings.shared()) {
            return true;
        }
        try {
            // held over a few intervals, so that a late timer does not hand the probe to another replica
            return store.lease("lease:recovery:" + provider, settings.replicaId(), interval.multipliedBy(3));
        } catch (StateStore.Unavailable e) {
            lost(e);
            return true;
        }
    }

    /** True unless the store is shared and lost. */
    public boolean connected() {
        return connected;
    }

    public Status status() {
        if (!settings.shared()) {
            return new Status("local", null, null, null, null, null);
        }
        return new Status("redis", settings.replicaId(), connected,
                settings.onStoreLoss().name().toLowerCase(java.util.Locale.ROOT),
                connected || lostSince == null ? null : lostSince.toString(), connected ? null : lastError);
    }

    /** One exchange with the store: what this replica learnt goes out, what the others learnt comes in. */
    void refresh() {
        List<StateStore.Write> writes = new ArrayList<>();
        boolean whole = resync;
        if (whole) {
            writes.addAll(everythingKnown());
        }
        for (String key : List.copyOf(pending.keySet())) {
            StateStore.Write w = pending.remove(key);
            if (w != null) {
                writes.add(w);
            }
        }
        List<String> values;
        try {
            values = store.exchange(writes, keys);
        } catch (StateStore.Unavailable e) {
            lost(e);
            return;
        }
        resync = false;
        if (!connected) {
            LOG.warn("state store reachable again: shared state resumes");
        }
        connected = true;
        apply(values);
    }

    private void apply(List<String> values) {
        int i = 0;
        for (Map.Entry<String, Integer> provider : keyCounts.entrySet()) {
            String p = provider.getKey();
            breakers.learn(p, values.get(i++));
            for (int k = 0; k < provider.getValue(); k++) {
                String rest = values.get(i++);
                String report = values.get(i++);
                try {
                    if (rest != null) {
                        String[] f = rest.split(" ");
                        cooldowns.learn(p, k, Instant.ofEpochMilli(Long.parseLong(f[0])),
                                Cooldowns.Reason.valueOf(f[1]));
                    }
                    if (report != null) {
                        String[] f = report.split(" ");
                        rateLimits.learn(p, k, new RateLimitHeaders(Long.parseLong(f[1]), Long.parseLong(f[2]),
                                instant(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]), instant(f[6])),
                                Instant.ofEpochMilli(Long.parseLong(f[0])));
                    }
                } catch (RuntimeException e) {
                    LOG.debug("unreadable shared state for provider {} key {}: {}", p, k, e.toString());
                }
            }
        }
    }

    /** After a loss, what this replica knows goes out whole: a write kept only when it is the later fact. */
    private List<StateStore.Write> everythingKnown() {
        List<StateStore.Write> all = new ArrayList<>(breakers.everythingKnown());
        keyCounts.forEach((p, count) -> {
            for (int k = 0; k < count; k++) {
                int key = k;
                cooldowns.restsUntil(p, k).ifPresent(until -> cooldowns.reason(p, key)
                        .ifPresent(reason -> all.add(rest(p, key, until, reason))));
                RateLimitHeaders headers = rateLimits.of(p, k);
                Instant at = rateLimits.reportedAt(p, k);
                if (headers != null && at != null) {
                    all.add(report(p, k, headers, at));
                }
            }
        });
        return all;
    }

    private StateStore.Write rest(String provider, int key, Instant until, Cooldowns.Reason reason) {
        long ms = until.toEpochMilli();
        return new StateStore.Write(cooldownKey(provider, key), ms, ms + " " + reason.name(),
                positive(Duration.between(clock.instant(), until)));
    }

    private StateStore.Write report(String provider, int key, RateLimitHeaders h, Instant at) {
        Instant resets = later(h.requestsResetAt(), h.tokensResetAt());
        Duration ttl = resets == null ? REPORT_TTL : positive(Duration.between(clock.instant(), resets));
        String value = at.toEpochMilli() + " " + h.requestsLimit() + " " + h.requestsRemaining() + " "
                + millis(h.requestsResetAt()) + " " + h.tokensLimit() + " " + h.tokensRemaining() + " "
                + millis(h.tokensResetAt());
        return new StateStore.Write(reportKey(provider, key), at.toEpochMilli(), value, ttl);
    }

    private void offer(StateStore.Write write, boolean urgent) {
        pending.merge(write.key(), write, (a, b) -> a.order() > b.order() ? a : b);
        if (urgent) {
            worker.wake();
        }
    }

    private void lost(RuntimeException e) {
        lastError = e.getMessage();
        if (connected) {
            lostSince = clock.instant();
            LOG.warn("state store lost (carrying on with this replica's own state): {}", e.getMessage());
        }
        connected = false;
        resync = true;
    }

    @Override
    public void close() {
        worker.stop();
        store.close();
    }

    static String cooldownKey(String provider, int key) {
        return "cooldown:" + provider + ":" + key;
    }

    static String reportKey(String provider, int key) {
        return "ratelimit:" + provider + ":" + key;
    }

    private static Duration positive(Duration d) {
        return d.isNegative() || d.isZero() ? Duration.ofMillis(1) : d;
    }

    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }

    private static long millis(Instant i) {
        return i == null ? -1 : i.toEpochMilli();
    }

    private static Instant instant(String ms) {
        long v = Long.parseLong(ms);
        return v < 0 ? null : Instant.ofEpochMilli(v);
    }
}
