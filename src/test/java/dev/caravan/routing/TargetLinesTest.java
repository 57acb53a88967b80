package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
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
import dev.caravan.provider.PoolOccupancy;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.RateLimitHeaders;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/**
 * The router reaches each target through a handle made at its first request and kept for the gateway's life: what
 * changes on the boards after that (a provider marked down or up, a breaker opened or closed, a key put to rest, a
 * latency measured or a rate limit reported elsewhere) is still what the next request sees, and the meters it counts
 * in are the registry's own, under the names and tags they always had. A handle that copied any of it would route
 * the next request by what was true at its first.
 */
class TargetLinesTest {

    static final Target ALPHA = new Target("alpha", "a-1");
    static final Target BETA = new Target("beta", "b-1");

    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T10:00:00Z"));
    private final AtomicLong nanos = new AtomicLong();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Cooldowns cooldowns = new Cooldowns(clock);
    private final HealthBoard health = new HealthBoard(List.of("alpha", "beta"), 3, clock);
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private final LatencyBoard latency = new LatencyBoard(meters, Duration.ofMinutes(5), () -> 0L);
    private final RateLimits rateLimits = new RateLimits(clock);
    /** Calls in flight on alpha's pool of two connections. */
    private final AtomicInteger alphaCalls = new AtomicInteger();
    private final TargetBoards boards = boards();
    private final FailoverRouter router = router();

    private TargetBoards boards() {
        ObjectMapper json = new ObjectMapper();
        ProviderCatalog catalog = new ProviderCatalog(List.of(provider("alpha", 0, "sk-a0", "sk-a1"),
                provider("beta", 1, "sk-b0")), new Dialects(json, clock)::create,
                Map.of("chat", List.of(ALPHA, BETA)));
        return new TargetBoards(catalog, health, cooldowns, latency, breakers, rateLimits,
                provider -> provider.equals("alpha") ? new PoolOccupancy.Occupancy(alphaCalls.get(), 2)
                        : PoolOccupancy.Occupancy.UNKNOWN);
    }

    private FailoverRouter router() {
        RoutingSettings settings = new RoutingSettings(RoutingPolicy.PRIORITY, Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5), Map.of(),
                Map.of(), RoutingSettings.Hedging.OFF, Duration.ofSeconds(5));
        return new FailoverRouter(boards, new ProviderScorer(), settings, new SecretRedactor(List.of("sk-a0")),
                meters, new RequestLog(new ObjectMapper(), false), new CostEstimator(PriceTable.load(Map.of()),
                new TokenEstimator()), new RoutingTime(clock, nanos::get, wait -> clock.advance(wait)),
                failed -> 599);
    }

    private static ProviderSettings provider(String id, int priority, String... keys) {
        Duration fiveSeconds = Duration.ofSeconds(5);
        return new ProviderSettings(id, "openai", URI.create("http://127.0.0.1:9/" + id + "/v1"),
                new ApiKeys(List.of(keys)), fiveSeconds, fiveSeconds, fiveSeconds, Duration.ofSeconds(1), 10,
                priority, null, false, DialectOptions.OpenAi.DEFAULT);
    }

    /** A new request's first attempt: the route it is sent to, and the key it is made with. */
    private record Sent(String route, int key, Exchange exchange) {
    }

    private Sent send() {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setBody(new ChatRequest("chat", List.of(ChatMessage.of("user", "hello")), null, null,
                null, null, null, null, null, null, null, null));
        router.plan(exchange);
        String route = router.next(exchange);
        return new Sent(route, RequestContext.on(exchange).state().inFlight().keyIndex(), exchange);
    }

    /** The attempt in flight is answered, with {@code completionTokens} of output, after {@code millis}. */
    private Outcome answered(Sent sent, int completionTokens, long millis) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
        ChatResponse response = new ChatResponse("r", "chat.completion", 0L, "m", List.of(),
                new Usage(7, completionTokens, 7 + completionTokens, null), null, null);
        sent.exchange().getMessage().setBody(new ProviderReply(response, 200, 0));
        assertThat(router.next(sent.exchange())).isNull();
        Outcome outcome = router.outcome(sent.exchange());
        RequestRecord.tell(sent.exchange()); // as the ingress does when it answers
        return outcome;
    }

    private double count(String meter, String... tags) {
        var counter = meters.find(meter).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aProviderMarkedDownAfterItsFirstRequestIsPassedOverAndTakenBackWhenUpAgain() {
        answered(send(), 3, 10);

        health.probeFailed("alpha", "listing refused");
        health.probeFailed("alpha", "listing refused");
        assertThat(send().route()).as("two failed probes of three: still up").isEqualTo("direct:provider-alpha");
        health.probeFailed("alpha", "listing refused");
        assertThat(send().route()).isEqualTo("direct:provider-beta");

        health.probeSucceeded("alpha");
        assertThat(send().route()).isEqualTo("direct:provider-alpha");
    }

    @Test
    void aBreakerOpenedAfterItsFirstRequestTurnsRequestsAwayUntilItCloses() {
        answered(send(), 3, 10);

        breakers.circuitBreaker("alpha").transitionToOpenState();
        assertThat(send().route()).isEqualTo("direct:provider-beta");

        breakers.circuitBreaker("alpha").transitionToHalfOpenState();
        breakers.circuitBreaker("alpha").transitionToClosedState();
        assertThat(send().route()).isEqualTo("direct:provider-alpha");
    }

    @Test
    void aPoolThatFillsAfterItsFirstRequestSpillsRequestsOverUntilACallEnds() {
        answered(send(), 3, 10);

        alphaCalls.set(2);
        assertThat(send().route()).isEqualTo("direct:provider-beta");

        alphaCalls.set(1);
        assertThat(send().route()).isEqualTo("direct:provider-alpha");
    }

    @Test
    void aKeyPutToRestAfterItsFirstRequestIsSkippedForTheNextKeyUntilItsRestIsOver() {
        assertThat(send().key()).isZero();

        cooldowns.coolDown("alpha", 0, Duration.ofMinutes(1), Cooldowns.Reason.KEY_REJECTED);
        Sent second = send();
        assertThat(second.route()).isEqualTo("direct:provider-alpha");
        assertThat(second.key()).isEqualTo(1);

        cooldowns.coolDown("alpha", 1, Duration.ofMinutes(2), Cooldowns.Reason.RATE_LIMITED);
        assertThat(send().route()).as("both keys resting").isEqualTo("direct:provider-beta");

        clock.advance(Duration.ofMinutes(3));
        assertThat(send().key()).isZero();
    }

    @Test
    void whatIsMeasuredOrReportedElsewhereAfterTheFirstRequestShowsInTheNextStatus() {
        assertThat(boards.statuses("chat").getFirst().p50()).isNaN();
        assertThat(boards.statuses("chat").getFirst().headroom()).isNaN();

        // the board's own entry point, as the status page and the probes reach it, not the router's handle
        latency.record(ALPHA, TimeUnit.MILLISECONDS.toNanos(40));
        rateLimits.report("alpha", 0, new RateLimitHeaders(100, 25, clock.instant().plusSeconds(60), -1, -1, null));

        TargetStatus alpha = boards.statuses("chat").getFirst();
        assertThat(alpha.p50()).isGreaterThan(0);
        assertThat(alpha.headroom()).isEqualTo(0.25);
    }

    @Test
    void servedRequestsCountInTheRegistrysMetersUnderTheirNamesAndTags() {
        answered(send(), 3, 10);
        answered(send(), 5, 30);

        assertThat(count(Meters.REQUESTS, Meters.ALIAS, "chat", Meters.OUTCOME, "served")).isEqualTo(2);
        assertThat(meters.find(Meters.REQUEST_LATENCY).tags(Meters.ALIAS, "chat", Meters.OUTCOME, "served").timer()
                .count()).isEqualTo(2);
        assertThat(count(Meters.SERVED, Meters.ALIAS, "chat", Meters.PROVIDER, "alpha", Meters.MODEL, "a-1"))
                .isEqualTo(2);
        assertThat(count(Meters.ATTEMPTS, Meters.PROVIDER, "alpha", Meters.MODEL, "a-1", Meters.OUTCOME, "ok"))
                .isEqualTo(2);
        assertThat(count(Meters.TOKENS, Meters.PROVIDER, "alpha", Meters.MODEL, "a-1", Meters.DIRECTION, "in"))
                .isEqualTo(14);
        assertThat(count(Meters.TOKENS, Meters.PROVIDER, "alpha", Meters.MODEL, "a-1", Meters.DIRECTION, "out"))
                .isEqualTo(8);
        assertThat(meters.find(Meters.TARGET_LATENCY).tags(Meters.PROVIDER, "alpha", Meters.MODEL, "a-1").timer()
                .count()).isEqualTo(2);
        assertThat(latency.current(ALPHA).count()).as("the board's own view of what the handle recorded").isEqualTo(2);
        assertThat(meters.find(Meters.ATTEMPTS).tags(Meters.PROVIDER, "beta").counters())
                .as("a meter appears at its first count, not before").isEmpty();
    }
}
