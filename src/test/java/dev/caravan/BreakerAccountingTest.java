package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.BreakerSettings;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.PoolWaitTimeoutException;
import dev.caravan.provider.ProviderAttempt;
import dev.caravan.provider.ProviderBreakers;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The breaker driven by hand counts what the failure vocabulary says counts (DESIGN §4), with the gateway's own
 * breaker configuration: each failure class recorded or handed back unrecorded, a success recorded, a refused call
 * not recorded at all, half-open probe calls limited to their number, and each call under its own provider's breaker.
 */
class BreakerAccountingTest {

    private static final Target ALPHA = new Target("alpha", "model-alpha");
    private static final Target BETA = new Target("beta", "model-beta");

    private final CircuitBreaker breaker = CircuitBreakerRegistry.ofDefaults().circuitBreaker("alpha",
            HealthConfiguration.breakerConfig(new BreakerSettings(50, 4, 4, Duration.ofSeconds(30), 1)));
    private final ProviderBreakers breakers = new ProviderBreakers(Map.of("alpha", breaker));
    private final DefaultCamelContext camel = new DefaultCamelContext();

    @ParameterizedTest
    @EnumSource(FailureClass.class)
    void aFailureIsRecordedExactlyWhenItsClassCountsAgainstTheBreaker(FailureClass failureClass) {
        Exchange exchange = attempt();
        breakers.enter(attempt(exchange), exchange);
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, new ProviderFailure(failureClass, "as classified"));

        breakers.failed(exchange);

        var metrics = breaker.getMetrics();
        assertThat(metrics.getNumberOfFailedCalls()).isEqualTo(failureClass.countsAgainstBreaker() ? 1 : 0);
        assertThat(metrics.getNumberOfSuccessfulCalls()).isZero();
        assertThat(exchange.getProperty(ProviderBreakers.PERMIT)).isNull();
    }

    @Test
    void callsRecordedFromTwoThreadsAtOnceAreAllCountedAndOpenTheBreakerAtItsRate() throws Exception {
        CircuitBreaker shared = CircuitBreakerRegistry.ofDefaults().circuitBreaker("shared",
                HealthConfiguration.breakerConfig(new BreakerSettings(50, 1000, 1000, Duration.ofSeconds(30), 1)));
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        // one thread's calls all succeed, the other's all fail: 499 each leaves the window one short of its size
        Runnable successes = () -> record(start, shared, 499, null);
        Runnable failures = () -> record(start, shared, 499, new ProviderFailure(FailureClass.UNAVAILABLE, "down"));
        Thread a = Thread.ofPlatform().start(successes);
        Thread b = Thread.ofPlatform().start(failures);
        start.countDown();
        a.join();
        b.join();

        assertThat(shared.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(499);
        assertThat(shared.getMetrics().getNumberOfFailedCalls()).isEqualTo(499);
        assertThat(shared.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        shared.onError(0, java.util.concurrent.TimeUnit.NANOSECONDS, new ProviderFailure(FailureClass.UNAVAILABLE, "down"));
        shared.onSuccess(0, java.util.concurrent.TimeUnit.NANOSECONDS);
        // the 1,000th call fills the window: 500 failures of 1,000 reach the 50 % threshold
        assertThat(shared.getMetrics().getNumberOfBufferedCalls()).isEqualTo(1000);
        assertThat(shared.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    private static void record(java.util.concurrent.CountDownLatch start, CircuitBreaker breaker, int calls,
            Throwable failure) {
        try {
            start.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        for (int i = 0; i < calls; i++) {
            breaker.acquirePermission();
            if (failure == null) {
                breaker.onSuccess(0, java.util.concurrent.TimeUnit.NANOSECONDS);
            } else {
                breaker.onError(0, java.util.concurrent.TimeUnit.NANOSECONDS, failure);
            }
        }
    }

    @Test
    void aSaturatedPoolsWaitIsNotCountedAndAnAnswerIs() {
        Exchange saturated = attempt();
        breakers.enter(attempt(saturated), saturated);
        saturated.setProperty(Exchange.EXCEPTION_CAUGHT, new PoolWaitTimeoutException(1000, null));
        breakers.failed(saturated);
        Exchange served = attempt();
        breakers.enter(attempt(served), served);
        breakers.served(served);

        assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
        assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
    }

    @Test
    void aHalfOpenBreakerLetsItsProbeCallsThroughAndRefusesTheRestUnrecorded() {
        breaker.transitionToOpenState();
        Exchange whileOpen = attempt();
        assertThatThrownBy(() -> breakers.enter(attempt(whileOpen), whileOpen))
                .isInstanceOf(CallNotPermittedException.class);
        breakers.failed(whileOpen); // the route's catch runs for a refusal too: nothing to record

        breaker.transitionToHalfOpenState();
        Exchange probe = attempt();
        breakers.enter(attempt(probe), probe);
        Exchange second = attempt();
        assertThatThrownBy(() -> breakers.enter(attempt(second), second))
                .isInstanceOf(CallNotPermittedException.class);
        breakers.failed(second);
        breakers.served(probe);

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.getMetrics().getNumberOfNotPermittedCalls()).isZero(); // reset by closing
    }

    @Test
    void aCallTakesItsOwnProvidersPermitWhateverPermitTheExchangeStillHolds() {
        CircuitBreaker betaBreaker = CircuitBreakerRegistry.ofDefaults().circuitBreaker("beta",
                HealthConfiguration.breakerConfig(new BreakerSettings(50, 4, 4, Duration.ofSeconds(30), 1)));
        ProviderBreakers both = new ProviderBreakers(Map.of("alpha", breaker, "beta", betaBreaker));
        Exchange exchange = attempt();
        both.enter(attempt(exchange), exchange); // alpha's permit, left on the exchange
        betaBreaker.transitionToOpenState();
        exchange.setProperty(ProviderAttempt.PROPERTY, attemptOn(BETA));

        assertThatThrownBy(() -> both.enter(attempt(exchange), exchange))
                .as("beta's open breaker refuses the call").isInstanceOf(CallNotPermittedException.class);

        betaBreaker.transitionToClosedState();
        both.enter(attempt(exchange), exchange);
        both.served(exchange);
        assertThat(betaBreaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
        assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).as("recorded on beta's breaker only").isZero();
    }

    @Test
    void aSuccessIsRecordedOncePerPermit() {
        Exchange exchange = attempt();
        breakers.enter(attempt(exchange), exchange);

        breakers.served(exchange);
        breakers.served(exchange);

        assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
        assertThat(exchange.getProperty(ProviderBreakers.PERMIT)).isNull();
    }

    @Test
    void failuresAtTheThresholdOpenTheBreaker() {
        for (int i = 0; i < 4; i++) {
            Exchange exchange = attempt();
            breakers.enter(attempt(exchange), exchange);
            exchange.setProperty(Exchange.EXCEPTION_CAUGHT, new ProviderFailure(FailureClass.UNAVAILABLE, 503,
                    "overloaded", null));
            breakers.failed(exchange);
        }

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    private Exchange attempt() {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty(ProviderAttempt.PROPERTY, attemptOn(ALPHA));
        return exchange;
    }

    private static ProviderAttempt attemptOn(Target target) {
        return ProviderAttempt.of(new AttemptPlan(target, 0, Duration.ofSeconds(10), 0L, "req_1", List.of()),
                new ChatRequest("fast", List.of(ChatMessage.of("user", "hello")), null, null, null, null, null, null,
                        null, null, null, null),
                null, null);
    }

    private static ProviderAttempt attempt(Exchange exchange) {
        return exchange.getProperty(ProviderAttempt.PROPERTY, ProviderAttempt.class);
    }
}
