package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.console.TestClock;
import dev.caravan.cost.CostEstimator;
import dev.caravan.cost.PriceTable;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.HealthBoard;
import dev.caravan.health.LatencyBoard;
import dev.caravan.health.RateLimits;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.ApiKeys;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.Dialects;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.testing.LogCapture;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/**
 * The router bean carrying out the policy's steps on an exchange, with real boards: its waits go through the sleeper
 * (recorded, and moving the clock, never slept), both ends of an attempt reach the same path, and the meters count
 * what the policy decided.
 */
class FailoverRouterTest {

    static final Target ALPHA = new Target("alpha", "a-1");
    static final Target BETA = new Target("beta", "b-1");

    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T10:00:00Z"));
    private final AtomicLong nanos = new AtomicLong();
    private final List<Duration> waits = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Cooldowns cooldowns = new Cooldowns(clock);
    private final FailoverRouter router = router();
    private final Exchange exchange = new DefaultExchange(new DefaultCamelContext());

    private FailoverRouter router() {
        ObjectMapper json = new ObjectMapper();
        List<ProviderSettings> providers = List.of(provider("alpha", 0), provider("beta", 1));
        ProviderCatalog catalog = new ProviderCatalog(providers, new Dialects(json, clock)::create,
                Map.of("chat", List.of(ALPHA, BETA)));
        TargetBoards boards = new TargetBoards(catalog, new HealthBoard(List.of("alpha", "beta"), 3, clock), cooldowns,
                new LatencyBoard(meters, Duration.ofMinutes(5), nanos::get), CircuitBreakerRegistry.ofDefaults(),
                new RateLimits(clock));
        RoutingSettings settings = new RoutingSettings(RoutingPolicy.PRIORITY, Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5), Map.of(),
                Map.of(), RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
        Sleeper sleeper = wait -> {
            waits.add(wait);
            clock.advance(wait);
            nanos.addAndGet(wait.toNanos());
        };
        return new FailoverRouter(boards, new ProviderScorer(), settings, new SecretRedactor(List.of("sk-alpha")),
                meters, new RequestLog(json, false), new CostEstimator(PriceTable.load(Map.of()), new TokenEstimator()),
                new RoutingTime(clock, nanos::get, sleeper), failed -> 599);
    }

    private static ProviderSettings provider(String id, int priority) {
        Duration fiveSeconds = Duration.ofSeconds(5);
        return new ProviderSettings(id, "openai", URI.create("http://127.0.0.1:9/" + id + "/v1"),
                new ApiKeys(List.of("sk-" + id)), fiveSeconds, fiveSeconds, fiveSeconds, Duration.ofSeconds(1), 10,
                priority, null, false, DialectOptions.OpenAi.DEFAULT);
    }

    private void plan() {
        exchange.getMessage().setBody(new ChatRequest("chat", List.of(ChatMessage.of("user", "hello")), null, null,
                null, null, null, null, null, null, null, null));
        router.plan(exchange);
    }

    /** The provider route's fallback, as the breaker calls it. */
    private void fails(ProviderFailure failure) {
        exchange.getMessage().setBody(null);
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, failure);
        router.attemptFailed(exchange);
        exchange.removeProperty(Exchange.EXCEPTION_CAUGHT);
    }

    private double count(String meter, String... tags) {
        var counter = meters.find(meter).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aFailureOutsideOfAnyAttemptIsLoggedWithoutTheKeyItCarries() {
        try (LogCapture logged = LogCapture.attach()) {
            plan(); // planned, but no attempt is under way

            fails(new ProviderFailure(FailureClass.AUTH, 401, "Incorrect API key provided: sk-alpha", null));

            assertThat(logged.text()).contains("outside of any attempt").contains("[redacted]")
                    .doesNotContain("sk-alpha");
        }
    }

    @Test
    void anUnavailableTargetIsRetriedOnceAfterABackoffThenTheNextServes() {
        plan();
        assertThat(router.next(exchange)).isEqualTo("direct:provider-alpha");
        fails(new ProviderFailure(FailureClass.UNAVAILABLE, 503, "overloaded", null));

        assertThat(router.next(exchange)).isEqualTo("direct:provider-alpha");
        assertThat(waits).singleElement().satisfies(backoff -> assertThat(backoff)
                .isBetween(Duration.ofMillis(100), Duration.ofMillis(300)));

        fails(new ProviderFailure(FailureClass.UNAVAILABLE, 503, "overloaded", null));
        assertThat(router.next(exchange)).isEqualTo("direct:provider-beta");
        assertThat(waits).hasSize(1);

        exchange.getMessage().setBody(new ProviderReply(null, 200, 0));
        assertThat(router.next(exchange)).isNull();
        Outcome outcome = router.outcome(exchange);
        RequestRecord.tell(exchange); // as the ingress does when it answers

        assertThat(outcome).isInstanceOfSatisfying(Outcome.Served.class, served -> {
            assertThat(served.target()).isEqualTo(BETA);
            assertThat(served.attempts()).extracting(Attempt::outcome)
                    .containsExactly("unavailable", "unavailable", "ok");
        });
        assertThat(count(Meters.ATTEMPTS, Meters.PROVIDER, "alpha", Meters.OUTCOME, "unavailable")).isEqualTo(2);
        assertThat(count(Meters.ATTEMPTS, Meters.PROVIDER, "beta", Meters.OUTCOME, "ok")).isEqualTo(1);
        assertThat(count(Meters.FAILOVERS, Meters.FROM, "alpha", Meters.TO, "beta")).isEqualTo(1);
    }

    @Test
    void aShortRetryAfterIsWaitedOutExactlyOnTheKeyItRested() {
        plan();
        router.next(exchange);
        fails(new ProviderFailure(FailureClass.RATE_LIMITED, 429, "slow down", Duration.ofSeconds(2)));

        assertThat(cooldowns.remaining("alpha", 0)).contains(Duration.ofSeconds(2));
        assertThat(router.next(exchange)).isEqualTo("direct:provider-alpha");
        assertThat(waits).containsExactly(Duration.ofMillis(2_001));
        assertThat(cooldowns.remaining("alpha", 0)).isEmpty();
        assertThat(count(Meters.FAILOVERS, Meters.FROM, "alpha", Meters.TO, "beta")).isZero();
    }

    @Test
    void theCallersFaultIsAnsweredAtOnceWithoutAWaitOrAFailover() {
        plan();
        router.next(exchange);
        fails(new ProviderFailure(FailureClass.CALLER_FAULT, 422, "bad tool schema", null));

        assertThat(router.next(exchange)).isNull();
        Outcome outcome = router.outcome(exchange);
        RequestRecord.tell(exchange); // as the ingress does when it answers

        assertThat(waits).isEmpty();
        assertThat(outcome).isInstanceOfSatisfying(Outcome.Failed.class, failed -> {
            assertThat(failed.kind()).isEqualTo(Outcome.Kind.PROVIDER_REJECTED_REQUEST);
            assertThat(failed.refusalStatus()).isEqualTo(422);
            assertThat(failed.message()).isEqualTo("bad tool schema");
        });
        assertThat(count(Meters.REQUESTS, Meters.ALIAS, "chat", Meters.OUTCOME, "599")).as("tagged by the status "
                + "the ingress renders").isEqualTo(1);
    }

    @Test
    void aCallTheBreakerRefusedWithoutRaisingPassesToTheNextTargetUncounted() {
        plan();
        router.next(exchange);
        exchange.getMessage().setBody(null);

        assertThat(router.next(exchange)).isEqualTo("direct:provider-beta");
        assertThat(meters.find(Meters.ATTEMPTS).counters()).isEmpty();
        assertThat(RequestContext.on(exchange).state().skipped()).containsExactly(ALPHA);
    }
}
