package dev.caravan.ingress;


import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.routing.RefusalLog;
import dev.caravan.routing.RequestRecord;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.support.processor.DelegateAsyncProcessor;

/**
 * A platform-http route whose exchange ends failed, its failure handled by no step of its own (an operator's route
 * without onException or doTry), is answered JSON 500 in the path's protocol error shape without the failure's
 * details, where the consumer would answer an empty 500. The failure is logged once: Camel's error handler has
 * logged it when it gave up on it; a failure no error handler saw (a route without one) is logged here, redacted.
 * A route that answers its own failures ends without one, and is answered as it stands.
 */
public final class FailedRouteAnswers {

    private final JsonErrorPages pages;

    public FailedRouteAnswers(JsonErrorPages pages) {
        this.pages = pages;
    }

    /** {@code route}, the consumer's processor, with its failures answered in JSON. */
    public Processor around(Processor route) {
        return new DelegateAsyncProcessor(route) {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                // the request's own message, whatever message the route leaves in its place
                Message in = exchange.getIn();
                return super.process(exchange, doneSync -> {
                    if (exchange.getException() != null && in instanceof HttpMessage http) {
                        answer(exchange, http);
                    }
                    // the request's log line and meters, now that the answer is what the client gets
                    RequestRecord.tell(exchange);
                    callback.done(doneSync);
                });
            }
        };
    }

    private void answer(Exchange exchange, HttpMessage http) {
        HttpServerResponse response = http.getResponse();
        if (response == null || response.headWritten()) {
            return; // an answer under way is the consumer's to end
        }
        Exception failure = exchange.getException();
        // an error handler that gave up on the failure has logged it (redacted: FailureLog)
        if (!exchange.getExchangeExtension().isErrorHandlerHandledSet()) {
            pages.logFailure(http.getRequest(), 500, failure);
        }
        // handled as an onException would: the route's failure answered, and kept where Camel keeps a caught one
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, failure);
        exchange.setException(null);
        RequestRecord.failedInside(exchange);
        // one the router never planned: told as answered before the pipeline, under an id of its own; one whose line
        // was told already (a refusal by direct:caravan, then a step that failed) or that the router planned keeps
        // its line, and its answer carries that line's id
        String requestId = RefusalLog.note(exchange, "http", JsonErrorPages.shown(http.getRequest().path()),
                RequestRecord.newId(), 500, "internal_error",
                "The server failed to process the request.");
        Message reply = exchange.getMessage();
        reply.getHeaders().clear();
        reply.setHeader(ProtocolReplies.REQUEST_ID, requestId); // the id its log line is under
        reply.setHeader(Exchange.HTTP_RESPONSE_CODE, 500);
        reply.setHeader(Exchange.CONTENT_TYPE, "application/json");
        reply.setBody(pages.internalError(http.getRequest().path()));
    }
}
