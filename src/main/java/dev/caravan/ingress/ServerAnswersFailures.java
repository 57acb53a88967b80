package dev.caravan.ingress;

import org.apache.camel.Exchange;
import org.apache.camel.spi.ExceptionHandler;

/**
 * The platform-http consumers' exception handler: a failure a consumer meets (reading a request, writing a reply) is
 * handed on to the HTTP server as well, which answers it in JSON and logs it with its messages redacted
 * ({@link JsonErrorPages}). Camel's default handler would log it a second time, its message as it stands, and a
 * message may hold a provider's or a client's key; this one leaves the logging to the server.
 */
public final class ServerAnswersFailures implements ExceptionHandler {

    @Override
    public void handleException(Throwable exception) {
    }

    @Override
    public void handleException(String message, Throwable exception) {
    }

    @Override
    public void handleException(String message, Exchange exchange, Throwable exception) {
    }
}
