package dev.caravan.floor;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;

/**
 * A step that only runs asynchronously, on the event loop that took the request: Camel's synchronous entry is refused,
 * so that a route that would block a loop fails at once instead of stalling every connection on it.
 */
abstract class LoopStep implements AsyncProcessor {

    /** The upstream call's request: a JSON POST to {@code url} with the key as a bearer token, made once per step. */
    static RequestOptions upstream(String url, String apiKey) {
        URI uri = URI.create(url);
        return new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost()).setPort(uri.getPort())
                .setURI(uri.getRawPath()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + apiKey);
    }

    @Override
    public CompletableFuture<Exchange> processAsync(Exchange exchange) {
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        process(exchange, sync -> done.complete(exchange));
        return done;
    }

    @Override
    public void process(Exchange exchange) {
        throw new UnsupportedOperationException("only asynchronous: run on the event loop");
    }
}
