package dev.caravan.routing;

import org.apache.camel.Exchange;
import org.apache.camel.support.ExpressionAdapter;

/**
 * The dynamic router's expression in the embeddings route: the {@link FailoverRouter}'s next step for the
 * exchange, asked directly. Bound as {@code nextEmbeddingStep} and named with the {@code ref} language; a
 * {@code method} expression would copy the whole exchange on each of the two or more evaluations per request (5 % of
 * the gateway's CPU under load) only to carry the router's properties back. The chat route's attempts run in a loop
 * instead ({@link NextAttempt}).
 */
public final class NextStep extends ExpressionAdapter {

    private final FailoverRouter router;

    public NextStep(FailoverRouter router) {
        this.router = router;
    }

    @Override
    public Object evaluate(Exchange exchange) {
        return router.next(exchange);
    }
}
