package dev.caravan.routing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * The condition of route {@code chat}'s attempt loop: asks the {@link FailoverRouter} for the request's next step
 * and, when there is one, leaves the endpoint of its route ({@code direct:provider-<id>} or {@code direct:hedge})
 * under {@link #ROUTE} for the loop's {@code toD}. Bound as {@code nextAttempt}, named with the {@code ref} language.
 *
 * <p>A loop rather than a {@code dynamicRouter}: the dynamic router runs each step on a copy of the exchange (with its
 * message and properties), copies it again when an asynchronous step completes, and copies the result back; the loop
 * runs the attempt on the exchange itself. The endpoint is handed over resolved, so that {@code toD} neither parses
 * nor looks up its URI per request.
 */
public final class NextAttempt implements Predicate {

    /** The exchange property holding the endpoint of the attempt about to be made. */
    public static final String ROUTE = "caravan.attemptRoute";

    private final FailoverRouter router;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();

    public NextAttempt(FailoverRouter router) {
        this.router = router;
    }

    @Override
    public boolean matches(Exchange exchange) {
        String uri = router.next(exchange);
        if (uri == null) {
            exchange.removeProperty(ROUTE);
            return false;
        }
        Endpoint endpoint = endpoints.get(uri);
        if (endpoint == null) {
            endpoint = endpoints.computeIfAbsent(uri, exchange.getContext()::getEndpoint);
        }
        exchange.setProperty(ROUTE, endpoint);
        return true;
    }
}
