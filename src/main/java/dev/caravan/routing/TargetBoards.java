package dev.caravan.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.caravan.health.Cooldowns;
import dev.caravan.health.HealthBoard;
import dev.caravan.health.LatencyBoard;
import dev.caravan.health.RateLimits;
import dev.caravan.passthrough.ClientApi;
import dev.caravan.provider.PoolOccupancy;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.Target;
import dev.caravan.provider.WireFeature;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

/**
 * The shared boards as the router reads and feeds them: what each target's health, breaker, keys and latency say
 * now ({@link TargetStatus}, {@link Keys}), and where an attempt leaves its marks (a key's rest, a latency sample).
 * Shared by every request and thread-safe, as the boards are.
 */
public final class TargetBoards {

    private final ProviderCatalog catalog;
    private final HealthBoard health;
    private final Cooldowns cooldowns;
    private final LatencyBoard latency;
    private final CircuitBreakerRegistry breakers;
    private final RateLimits rateLimits;
    private final PoolOccupancy pools;
    /** What each provider's status is made of that stays as it is while the gateway runs, found in one look-up. */
    private final Map<String, Fixed> fixed = new ConcurrentHashMap<>();
    /** Each target's {@link Board}, made at its first use (targets are configured, so bounded). */
    private final Map<Target, Board> boards = new ConcurrentHashMap<>();
    /** What a target the request passes through to carries, made once. */
    private static final Set<WireFeature> UNTRANSLATED = Collections.unmodifiableSet(WireFeature.untranslated());

    /**
     * A provider's settings, what its dialect carries, its breaker (as the registry gave it: the registry looks its
     * default configuration up per call), its keys all usable (what {@link #keys} is while no key has rested), and
     * its standing on the health board, rate-limit reports and connection pool. Each part is fixed for the gateway's life (the
     * catalog is read once at start; a route reload keeps these beans), or a live object read at every use: the
     * health standing and the reports are replaced in place, never swapped for new ones, and the pool is read at each
     * use, so that a provider marked down, back up, near its limit or with a full pool is seen through this record at
     * once.
     */
    private record Fixed(String id, ProviderSettings settings, Set<WireFeature> carries, CircuitBreaker breaker,
            Keys allUsable, HealthBoard.Standing health, RateLimits.Reports rates, PoolOccupancy.Pool pool) {
    }

    /**
     * One target as the boards hold it: its provider's fixed part and its line on the latency board, found once (a
     * request holds it through its {@link TargetLines.Line}) instead of in a look-up per board per use. It holds no
     * state of its own: whatever changes (health, breaker, keys' rests, latency, rate limits) is read from the live
     * objects at each use.
     */
    static final class Board {

        private final Target target;
        private final Fixed fixed;
        private final LatencyBoard.Entry latency;

        private Board(Target target, Fixed fixed, LatencyBoard.Entry latency) {
            this.target = target;
            this.fixed = fixed;
            this.latency = latency;
        }

        Target target() {
            return target;
        }

        ProviderSettings provider() {
            return fixed.settings();
        }
    }

    public TargetBoards(ProviderCatalog catalog, HealthBoard health, Cooldowns cooldowns, LatencyBoard latency,
            CircuitBreakerRegistry breakers, RateLimits rateLimits) {
        this(catalog, health, cooldowns, latency, breakers, rateLimits, PoolOccupancy.UNKNOWN);
    }

    /** @param pools how full each provider's connection pool is, read at every choice */
    public TargetBoards(ProviderCatalog catalog, HealthBoard health, Cooldowns cooldowns, LatencyBoard latency,
            CircuitBreakerRegistry breakers, RateLimits rateLimits, PoolOccupancy pools) {
        this.pools = pools;
        this.catalog = catalog;
        this.health = health;
        this.cooldowns = cooldowns;
        this.latency = latency;
        this.breakers = breakers;
        this.rateLimits = rateLimits;
    }

    List<Target> targets(String alias) {
        return catalog.targets(alias);
    }

    private Fixed fixed(String provider) {
        Fixed f = fixed.get(provider);
        if (f == null) {
            f = fixed.computeIfAbsent(provider, id -> {
                ProviderSettings settings = catalog.provider(id);
                return new Fixed(id, settings, Collections.unmodifiableSet(catalog.dialect(id).carries()),
                        breakers.circuitBreaker(id), new Keys(Collections.nCopies(settings.keys().size(),
                                Keys.Rest.USABLE)), health.standing(id), rateLimits.reports(id), pools.pool(id));
            });
        }
        return f;
    }

    /** The target's board, the same object whenever asked. */
    Board board(Target target) {
        Board known = boards.get(target);
        return known != null ? known
                : boards.computeIfAbsent(target, t -> new Board(t, fixed(t.provider()), latency.entry(t)));
    }

    /** Every target of {@code alias}, in configured order, as the boards show it now. */
    List<TargetStatus> statuses(String alias) {
        return statuses(alias, null);
    }

    /**
     * Every target of {@code alias} for a request that passes through untranslated to a provider serving
     * {@code untranslated} (null when every attempt is translated): such a target carries whatever the client's
     * protocol says, the others what their dialect's translation carries.
     */
    List<TargetStatus> statuses(String alias, ClientApi untranslated) {
        List<Target> targets = catalog.targets(alias);
        List<TargetStatus> statuses = new ArrayList<>(targets.size());
        for (Target target : targets) {
            statuses.add(status(board(target), untranslated));
        }
        return statuses;
    }

    /** As {@link #statuses(String, ClientApi)}, of an alias's lines: every board read without a look-up. */
    List<TargetStatus> statuses(List<TargetLines.Line> lines, ClientApi untranslated) {
        List<TargetStatus> statuses = new ArrayList<>(lines.size());
        for (TargetLines.Line line : lines) {
            statuses.add(status(line.board(), untranslated));
        }
        return statuses;
    }

    private TargetStatus status(Board board, ClientApi untranslated) {
        Target target = board.target;
        Fixed f = board.fixed;
        String provider = f.id();
        Keys keys = keys(provider, f);
        CircuitBreaker breaker = f.breaker();
        var metrics = breaker.getMetrics();
        // each count takes a snapshot of the breaker's window, under its lock: each is taken once
        int succeeded = metrics.getNumberOfSuccessfulCalls();
        int calls = succeeded + metrics.getNumberOfFailedCalls();
        double successRate = calls == 0 ? Double.NaN : (double) succeeded / calls;
        CircuitBreaker.State state = breaker.getState();
        boolean open = state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
        return new TargetStatus(target, keys, f.health().isDown(), open, board.latency.percentiles().p50(),
                successRate, f.rates().headroom(keys.usable().orElse(0)),
                untranslated != null && f.settings().apis().contains(untranslated) ? UNTRANSLATED : f.carries(),
                f.pool().now());
    }

    /** The provider's keys and their rests now. */
    Keys keys(String providerId) {
        return keys(providerId, fixed(providerId));
    }

    /** The keys and their rests now of the board's provider. */
    Keys keys(Board board) {
        return keys(board.fixed.id(), board.fixed);
    }

    private Keys keys(String providerId, Fixed f) {
        if (cooldowns.noneRested()) {
            return f.allUsable();
        }
        int count = f.settings().keys().size();
        List<Keys.Rest> rests = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            Optional<Duration> left = cooldowns.remaining(providerId, k);
            rests.add(left.isEmpty() ? Keys.Rest.USABLE
                    : new Keys.Rest(cooldowns.reason(providerId, k).orElse(null), left.get()));
        }
        return new Keys(rests);
    }

    /**
     * Puts the key an attempt used to rest when its failure calls for it: after a 429 until its Retry-After (else
     * {@code rateLimitRest}), after a 401/403 for {@code rejectedRest}.
     */
    void rest(Target target, int key, ProviderFailure failure, Duration rateLimitRest, Duration rejectedRest) {
        switch (failure.failureClass()) {
            case RATE_LIMITED -> cooldowns.coolDown(target.provider(), key, failure.retryAfter().orElse(rateLimitRest),
                    Cooldowns.Reason.RATE_LIMITED);
            case AUTH -> cooldowns.coolDown(target.provider(), key, rejectedRest, Cooldowns.Reason.KEY_REJECTED);
            default -> {
            }
        }
    }

    void recordLatency(Board board, long nanos) {
        board.latency.record(nanos);
    }

    /** The target's p95 latency, or null before it has any measurement. */
    Duration p95(Board board) {
        double p95 = board.latency.percentiles().p95();
        return Double.isNaN(p95) ? null : Duration.ofMillis(Math.max(1, (long) p95));
    }
}
