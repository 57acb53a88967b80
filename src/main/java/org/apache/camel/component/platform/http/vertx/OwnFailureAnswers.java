package org.apache.camel.component.platform.http.vertx;

import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;

/**
 * How both consumers (the event-loop one and the stock one's wrapper) answer a failure a chat route left unhandled:
 * with the route's own failure step, handled as its catch would have it, so that the client gets the same answer (the
 * request's id among it), and the request is logged and counted the same, whichever consumer runs the route.
 */
final class OwnFailureAnswers {

    private OwnFailureAnswers() {
    }

    /**
     * Answers the failure on {@code exchange} with {@code step}, the failure kept where Camel keeps a caught one, then
     * runs {@code then}; a step that throws leaves its own failure on the exchange instead.
     */
    static void answer(Exchange exchange, AsyncProcessor step, Runnable then) {
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, exchange.getException());
        exchange.setException(null);
        try {
            step.process(exchange, doneSync -> then.run());
        } catch (RuntimeException e) {
            exchange.setException(e);
            then.run();
        }
    }
}
