package dev.caravan;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import dev.caravan.CaravanConfiguration.Foundation;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.HealthBoard;
import dev.caravan.health.LatencyBoard;
import dev.caravan.health.RateLimits;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.BreakerSettings;
import dev.caravan.provider.FailureClassifier;
import dev.caravan.provider.ProviderBreakers;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.state.LocalStateStore;
import dev.caravan.state.RedisStateStore;
import dev.caravan.state.SharedState;
import dev.caravan.state.StateSettings;
import dev.caravan.state.StateStore;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the router reads about each provider: its circuit breaker, the health board, key cooldowns, rate-limit
 * headroom, latency, and the state replicas share of them. Runs after {@link CaravanConfiguration}.
 */
public class HealthConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(HealthConfiguration.class);

    /** The boards and breakers later areas route by, probe into and show. */
    record Boards(CircuitBreakerRegistry breakers, ProviderBreakers providerBreakers, HealthBoard health,
            Cooldowns cooldowns, RateLimits rateLimits, SharedState shared, LatencyBoard latency) {
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        Foundation foundation = CaravanConfiguration.built(context, Foundation.class);
        GatewaySettings settings = foundation.settings();
        ProviderCatalog catalog = foundation.catalog();
        MeterRegistry meters = foundation.meters();
        Clock clock = foundation.clock();
        Registry registry = context.getRegistry();

        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        for (ProviderSettings p : settings.providers()) {
            CircuitBreaker breaker = breakers.circuitBreaker(p.id(), breakerConfig(p.breaker()));
            breaker.getEventPublisher().onStateTransition(e -> LOG.warn("circuit breaker of provider {}: {}",
                    p.id(), e.getStateTransition()));
            registry.bind("breaker-" + p.id(), breaker);
        }
        registry.bind("circuitBreakerRegistry", breakers);
        ProviderBreakers providerBreakers = new ProviderBreakers(settings.providers().stream()
                .collect(Collectors.toMap(ProviderSettings::id, p -> breakers.circuitBreaker(p.id()))));
        registry.bind("providerBreakers", providerBreakers);
        // state, calls and transitions of every breaker, under Resilience4j's own meter names
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);

        HealthBoard health = new HealthBoard(catalog.providers().stream().map(ProviderSettings::id).toList(),
                settings.healthFailureThreshold(), clock);
        Cooldowns cooldowns = new Cooldowns(clock);
        RateLimits rateLimits = new RateLimits(clock);
        StateSettings stateSettings = StateSettings.of(settings.bound().state());
        SharedState shared = sharedState(context, stateSettings, catalog, breakers,
                cooldowns, rateLimits, meters, clock);
        // routing's ticker, so a held ticker holds the router's reuse of latency snapshots too
        LatencyBoard latency = new LatencyBoard(meters, settings.latencyWindow(), RoutingConfiguration.ticker(registry));
        registry.bind("healthBoard", health);
        for (ProviderSettings p : catalog.providers()) {
            CircuitBreaker breaker = breakers.circuitBreaker(p.id());
            Gauge.builder(Meters.PROVIDER_UP, health, board -> board.isDown(p.id())
                            || breaker.getState() == CircuitBreaker.State.OPEN ? 0 : 1)
                    .description("1 unless the health probes mark the provider down or its breaker is open")
                    .tag(Meters.PROVIDER, p.id())
                    .register(meters);
        }
        registry.bind("caravanBoards", new Boards(breakers, providerBreakers, health, cooldowns, rateLimits, shared,
                latency));
    }

    static CircuitBreakerConfig breakerConfig(BreakerSettings b) {
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.windowSize())
                // every call records into its provider's window from whichever event loop it ran on: the default
                // window takes a lock for each record, and a loop descheduled while holding it parks the others
                // (bench/README.md, "What the slowest 1 % meet")
                .slidingWindowSynchronizationStrategy(
                        CircuitBreakerConfig.SlidingWindowSynchronizationStrategy.LOCK_FREE)
                .minimumNumberOfCalls(b.minimumCalls())
                .failureRateThreshold(b.failureRatePercent())
                .waitDurationInOpenState(b.waitInOpen())
                .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls())
                // the router sends nothing to an open breaker, and no timer half-opens it: only a recovery probe
                // that got a completion does (RecoveryProbes), so no request goes to a provider known to be down
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                // caller faults and rate limits say nothing about the provider's health (DESIGN §4)
                .ignoreException(t -> !FailureClassifier.classify(t).countsAgainstBreaker())
                .build();
    }


    /**
     * What replicas share (cooldowns, rate-limit headroom, breakers, the recovery probe's owner): nothing with the
     * local store; with Redis, the shared state, started now and closed with Camel.
     */
    private static SharedState sharedState(CamelContext context, StateSettings state, ProviderCatalog catalog,
            CircuitBreakerRegistry breakers, Cooldowns cooldowns, RateLimits rateLimits, MeterRegistry meters,
            Clock clock) throws Exception {
        StateStore store = state.shared() ? new RedisStateStore(RedisStateStore.connect(state, 8), state.keyPrefix())
                : new LocalStateStore(clock);
        Map<String, Integer> keys = new LinkedHashMap<>();
        Map<String, CircuitBreaker> byProvider = new LinkedHashMap<>();
        for (ProviderSettings p : catalog.providers()) {
            keys.put(p.id(), p.keys().size());
            byProvider.put(p.id(), breakers.circuitBreaker(p.id()));
        }
        SharedState shared = new SharedState(state, store, cooldowns, rateLimits, keys, byProvider, clock);
        if (state.shared()) {
            Gauge.builder(Meters.STATE_STORE_UP, shared, s -> s.connected() ? 1 : 0)
                    .description("1 while this replica shares state through the store, 0 while the store is lost")
                    .register(meters);
            LOG.info("Shared state in Redis at {}:{} (key prefix {}), as replica {}; on store loss: {}",
                    state.redisUrl().getHost(), state.redisUrl().getPort(), state.keyPrefix(), state.replicaId(),
                    state.onStoreLoss().name().toLowerCase(java.util.Locale.ROOT));
        }
        context.getRegistry().bind("sharedState", shared);
        context.addService(new ServiceSupport() {
            @Override
            protected void doStart() {
                shared.start();
            }

            @Override
            protected void doStop() {
                shared.close();
            }
        });
        return shared;
    }
}
