package dev.caravan.provider;

import java.util.Map;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/**
 * Each provider's circuit breaker around the provider route's call, driven by hand: the route's steps take a
 * permit before the call ({@link #enter}, from {@code providerCalls.prepare}) and report how it ended, with its
 * duration ({@link #served}, from {@code providerCalls.interpret}; {@link #failed}, step
 * {@code providerBreakers.failed} in the route's catch),
 * as Resilience4j's own decorators do. The breaker's configuration classifies what it is told: a failure whose
 * class does not count against the breaker (a caller's fault, a rate limit, a saturated pool, a caller who left) is
 * ignored by its {@code ignoreException} predicate, so that the permit goes back unrecorded.
 *
 * <p>Why not Camel's {@code circuitBreaker} EIP: camel-resilience4j 4.18 runs its steps synchronously, parking the
 * thread that entered it until the answer is in, while the call underneath ({@link ProviderHttp#call}) needs no
 * thread. Driven by hand, the breaker is three short calls from the steps of a route whose call may complete later,
 * on another thread; the state, metrics (resilience4j-micrometer) and shared decisions (the state store) are the same breaker's.
 */
public final class ProviderBreakers {

    /** The exchange property holding the permit of the call in progress on that exchange. */
    public static final String PERMIT = "caravan.breakerPermit";

    /** A permit the breaker gave, and when, on its own clock. */
    private record Permit(CircuitBreaker breaker, long start) {
    }

    private final Map<String, CircuitBreaker> breakers;

    /** @param breakers each provider's breaker, by provider id */
    public ProviderBreakers(Map<String, CircuitBreaker> breakers) {
        this.breakers = Map.copyOf(breakers);
    }

    /**
     * Takes the permit of the attempt's provider's breaker: a closed breaker gives one, an open one none, a half-open
     * one as many as its probe calls. Always asked of that provider's breaker, whatever the exchange held before, so
     * that no call runs without its own breaker's permit, nor is recorded on another provider's breaker.
     *
     * @throws CallNotPermittedException the breaker refused the call; nothing is sent, and the router passes the
     *                                   target over without counting an attempt
     */
    public void enter(@ExchangeProperty(ProviderAttempt.PROPERTY) ProviderAttempt attempt, Exchange exchange) {
        CircuitBreaker breaker = breakers.get(attempt.plan().target().provider());
        if (!breaker.tryAcquirePermission()) {
            throw CallNotPermittedException.createCallNotPermittedException(breaker);
        }
        exchange.setProperty(PERMIT, new Permit(breaker, breaker.getCurrentTimestamp()));
    }

    /**
     * The call was answered ({@code providerCalls.interpret}, as it hands the reply on): counted a success unless
     * the breaker's result predicate says otherwise. Once per permit: a second call finds nothing.
     */
    public void served(Exchange exchange) {
        Permit permit = exchange.getProperty(PERMIT, Permit.class);
        if (permit != null) {
            exchange.removeProperty(PERMIT);
            permit.breaker().onResult(elapsed(permit), permit.breaker().getTimestampUnit(),
                    exchange.getMessage().getBody());
        }
    }

    /**
     * The call failed with the exception the route caught: recorded, or handed back unrecorded when its class does
     * not count against the breaker. Nothing is recorded for a call the breaker refused (it held no permit).
     */
    public void failed(Exchange exchange) {
        Permit permit = exchange.getProperty(PERMIT, Permit.class);
        if (permit == null) {
            return;
        }
        exchange.removeProperty(PERMIT);
        Throwable thrown = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (thrown == null) {
            thrown = new ProviderFailure(FailureClass.CONNECTION, "the call failed without a cause");
        }
        permit.breaker().onError(elapsed(permit), permit.breaker().getTimestampUnit(), thrown);
    }

    private static long elapsed(Permit permit) {
        return permit.breaker().getCurrentTimestamp() - permit.start();
    }
}
