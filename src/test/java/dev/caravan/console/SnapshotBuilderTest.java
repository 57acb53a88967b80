package dev.caravan.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.GatewaySettings;
import dev.caravan.cost.PriceTable;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.HealthBoard;
import dev.caravan.health.LatencyBoard;
import dev.caravan.health.RateLimits;
import dev.caravan.health.RecoveryProbes;
import dev.caravan.health.StatusBoard;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.Dialects;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.SecretRedactor;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The snapshot from real boards and real meters, read at instants the test chooses. */
class SnapshotBuilderTest {

    private static final String ALPHA_KEY = "sk-alpha-0123456789wxyz";

    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T10:00:00Z"));
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConsoleSettings settings = new ConsoleSettings(true, false, Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofSeconds(90), 10, Set.of());
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private final Cooldowns cooldowns = new Cooldowns(clock);
    private HealthBoard health;
    private ProviderEvents events;
    private MeterSampler sampler;
    private SnapshotBuilder builder;

    @BeforeEach
    void boards() {
        GatewaySettings gateway = GatewaySettings.from(Map.of(
                "caravan.providers", "alpha, beta",
                "caravan.provider.alpha.dialect", "openai",
                "caravan.provider.alpha.base-url", "http://127.0.0.1:9/v1",
                "caravan.provider.alpha.api-keys", ALPHA_KEY + ",short",
                "caravan.provider.beta.dialect", "openai",
                "caravan.provider.beta.base-url", "http://127.0.0.1:9/v1",
                "caravan.provider.beta.api-keys", "sk-beta-0123456789abcd",
                "caravan.model.fast", "alpha:model-a, beta:model-b"));
        ProviderCatalog catalog = new ProviderCatalog(gateway.providers(),
                new Dialects(new ObjectMapper(), clock)::create, gateway.aliases());
        breakers.circuitBreaker("alpha");
        breakers.circuitBreaker("beta");
        health = new HealthBoard(List.of("alpha", "beta"), 2, clock);
        StatusBoard status = new StatusBoard(catalog, health, breakers, cooldowns,
                new LatencyBoard(meters, Duration.ofMinutes(5), () -> 0L), new RateLimits(clock),
                new RecoveryProbes(catalog, breakers, cooldowns, PriceTable.load(Map.of()), Duration.ofSeconds(5),
                        Duration.ofMinutes(5), Duration.ofSeconds(10), new SecretRedactor(List.of()), meters, clock));
        events = new ProviderEvents(clock, settings.events());
        Console.listen(events, breakers, health);
        sampler = new MeterSampler(meters, clock, settings);
        builder = new SnapshotBuilder(catalog, status, cooldowns, events, sampler, () -> null, settings, clock);
    }

    @Test
    void ratesSuccessAndSplitComeFromTheMetersOverTheWindow() {
        sampler.sample();
        meters.counter(Meters.ATTEMPTS, "provider", "alpha", "model", "model-a", "outcome", "ok").increment(8);
        meters.counter(Meters.ATTEMPTS, "provider", "alpha", "model", "model-a", "outcome", "unavailable").increment(2);
        meters.counter(Meters.ATTEMPTS, "provider", "beta", "model", "model-b", "outcome", "ok").increment(2);
        meters.counter(Meters.SERVED, "alias", "fast", "provider", "alpha", "model", "model-a").increment(6);
        meters.counter(Meters.SERVED, "alias", "fast", "provider", "beta", "model", "model-b").increment(2);
        clock.advance(Duration.ofSeconds(10));
        sampler.sample();

        Snapshot snapshot = builder.build();

        Snapshot.TargetTraffic alpha = snapshot.targets().getFirst();
        assertThat(alpha.provider()).isEqualTo("alpha");
        assertThat(alpha.attempts()).isEqualTo(10);
        assertThat(alpha.requestsPerSecond()).isEqualTo(1.0);
        assertThat(alpha.successRate()).isEqualTo(0.8);
        assertThat(alpha.failures()).isEqualTo(Map.of("unavailable", 2L));
        assertThat(snapshot.aliases().getFirst().served()).isEqualTo(8);
        assertThat(snapshot.aliases().getFirst().split()).extracting(Snapshot.Share::target, Snapshot.Share::share)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("alpha:model-a", 0.75),
                        org.assertj.core.groups.Tuple.tuple("beta:model-b", 0.25));

        // ten quiet seconds later the window holds nothing, while the chart still shows the burst
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(1));
            sampler.sample();
        }
        Snapshot later = builder.build();
        assertThat(later.targets().getFirst().attempts()).isZero();
        assertThat(later.targets().getFirst().successRate()).isNull();
        assertThat(later.aliases().getFirst().served()).isZero();
    }

    @Test
    void tokensAndCostPerProviderOverTime() {
        sampler.sample();
        meters.counter(Meters.TOKENS, "provider", "alpha", "model", "model-a", "direction", "in").increment(100);
        meters.counter(Meters.TOKENS, "provider", "alpha", "model", "model-a", "direction", "out").increment(50);
        meters.counter(Meters.COST, "provider", "alpha", "model", "model-a").increment(0.0125);
        clock.advance(Duration.ofSeconds(1));
        sampler.sample();
        meters.counter(Meters.TOKENS, "provider", "beta", "model", "model-b", "direction", "out").increment(7);
        clock.advance(Duration.ofSeconds(1));
        sampler.sample();

        Snapshot.Series series = builder.build().series();

        assertThat(series.stepSeconds()).isEqualTo(1);
        assertThat(series.times()).containsExactly(Instant.parse("2026-01-01T10:00:01Z").getEpochSecond(),
                Instant.parse("2026-01-01T10:00:02Z").getEpochSecond());
        assertThat(series.tokens()).isEqualTo(Map.of("alpha", List.of(150.0, 0.0), "beta", List.of(0.0, 7.0)));
        assertThat(series.cost().get("alpha").getFirst()).isCloseTo(0.0125, within(1e-12));
    }

    @Test
    void timeToFirstTokenPercentilesCoverOnlyTheWindow() {
        Timer ttft = Timer.builder(Meters.STREAM_FIRST_CONTENT).tags("provider", "beta", "model", "model-b")
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(2)).register(meters);
        for (int i = 0; i < 100; i++) {
            ttft.record(5, TimeUnit.SECONDS); // long ago: outside the window once it has passed
        }
        sampler.sample();
        clock.advance(Duration.ofSeconds(11));
        sampler.sample();
        for (int i = 0; i < 50; i++) {
            ttft.record(10, TimeUnit.MILLISECONDS);
            ttft.record(1, TimeUnit.SECONDS);
        }
        clock.advance(Duration.ofSeconds(1));
        sampler.sample();

        Map<String, Double> p = builder.build().targets().get(1).ttftMillis();

        // 10 ms falls in the bucket ending at 11.18 ms; the 5 s values before the window would pull it far up
        assertThat(p.get("p50")).isLessThan(12.0);
        assertThat(p.get("p99")).isBetween(800.0, 1100.0);
        assertThat(builder.build().targets().getFirst().ttftMillis()).isNull();
    }

    @Test
    void providersShowBreakerSinceHealthReasonsAndMaskedKeysOnly() throws Exception {
        clock.advance(Duration.ofSeconds(30));
        breakers.circuitBreaker("alpha").transitionToOpenState();
        health.probeFailed("beta", "HTTP 503 from the model listing");
        health.probeFailed("beta", "HTTP 503 from the model listing");
        cooldowns.coolDown("alpha", 1, Duration.ofSeconds(20), Cooldowns.Reason.RATE_LIMITED);
        health.probeSucceeded("alpha");
        health.probeFailed("alpha", "connection refused");
        clock.advance(Duration.ofSeconds(12));

        Snapshot snapshot = builder.build();

        Snapshot.Provider alpha = snapshot.providers().getFirst();
        assertThat(alpha.status().breaker()).isEqualTo("open");
        assertThat(alpha.breakerSince()).isEqualTo(Instant.parse("2026-01-01T10:00:30Z"));
        assertThat(alpha.breakerForMillis()).isEqualTo(12_000);
        assertThat(alpha.keys()).extracting(Snapshot.Key::label).containsExactly("key 1 …wxyz", "key 2");
        assertThat(alpha.keys().get(1).cooldownMillis()).isEqualTo(8_000);
        assertThat(alpha.keys().get(1).cooldownReason()).isEqualTo("rate_limited");
        // an open breaker means its completions fail, whatever its model listing says
        assertThat(alpha.status().health()).isEqualTo("down");
        assertThat(alpha.healthReason()).isEqualTo("completions failing: circuit breaker open; 1 listing probe(s) "
                + "failed; last: connection refused");
        Snapshot.Provider beta = snapshot.providers().get(1);
        assertThat(beta.status().health()).isEqualTo("down");
        assertThat(beta.healthReason()).isEqualTo("2 probes failed in a row; last: HTTP 503 from the model listing");
        assertThat(beta.transitions()).extracting(ProviderEvents.Transition::to).containsExactly("down");

        String json = new ObjectMapper().writeValueAsString(snapshot);
        assertThat(json).doesNotContain(ALPHA_KEY).doesNotContain("short").doesNotContain("sk-beta")
                .contains("\"breaker_since\":\"2026-01-01T10:00:30Z\"");
    }
}
