package dev.caravan.floor;


import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The provider call as a non-blocking step: the request body POSTed with Vert.x's own HTTP client (on the event loop
 * that read the client's request), the answer piped back buffer by buffer as it arrives. It keeps what the gateway
 * needs from a provider call: a chunk is written as soon as it is read (with back-pressure), a per-attempt deadline
 * resets the upstream request, and a client that goes away resets it at once. The exchange completes when the
 * answer has been written; the consumer then finds the response ended and writes nothing more.
 */
public final class VertxPipe extends LoopStep {

    private final Vertx vertx;
    private final HttpClient client;
    private final RequestOptions target;
    private final long deadlineMillis;

    public VertxPipe(Vertx vertx, HttpClient client, String url, String apiKey, long deadlineMillis) {
        this.vertx = vertx;
        this.client = client;
        this.target = LoopStep.upstream(url, apiKey);
        this.deadlineMillis = deadlineMillis;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        HttpServerResponse out = ((HttpMessage) exchange.getIn()).getResponse();
        Buffer body = exchange.getIn().getBody(Buffer.class);
        client.request(target).onComplete(opened -> {
            if (opened.failed()) {
                fail(out, opened.cause(), callback);
                return;
            }
            HttpClientRequest call = opened.result();
            // the per-attempt deadline, and the client's disconnect, cut the upstream call at once
            long deadline = deadlineMillis > 0 ? vertx.setTimer(deadlineMillis, id -> call.reset()) : -1;
            out.closeHandler(closed -> call.reset());
            call.send(body).onComplete(answered -> {
                if (answered.failed()) {
                    vertx.cancelTimer(deadline);
                    fail(out, answered.cause(), callback);
                    return;
                }
                HttpClientResponse in = answered.result();
                out.setStatusCode(in.statusCode());
                String type = in.getHeader(HttpHeaders.CONTENT_TYPE);
                if (type != null) {
                    out.putHeader(HttpHeaders.CONTENT_TYPE, type);
                }
                String length = in.getHeader(HttpHeaders.CONTENT_LENGTH);
                if (length != null) {
                    // a whole answer: one buffer in, one write out
                    in.body().onComplete(read -> {
                        vertx.cancelTimer(deadline);
                        if (read.succeeded()) {
                            out.end(read.result());
                        } else {
                            out.reset();
                        }
                        callback.done(false);
                    });
                } else {
                    // each buffer written as it is read; reading pauses while the client is slower
                    out.setChunked(true);
                    in.handler(buffer -> {
                        if (out.closed()) {
                            return; // the client went away: the upstream call is being reset
                        }
                        out.write(buffer);
                        if (out.writeQueueFull()) {
                            in.pause();
                            out.drainHandler(drained -> in.resume());
                        }
                    });
                    in.exceptionHandler(broken -> {
                        vertx.cancelTimer(deadline);
                        if (!out.closed()) {
                            out.reset(); // a cut upstream stream is cut for the client too, never ended cleanly
                        }
                        callback.done(false);
                    });
                    in.endHandler(ended -> {
                        vertx.cancelTimer(deadline);
                        if (!out.closed()) {
                            out.end();
                        }
                        callback.done(false);
                    });
                }
            });
        });
        return false;
    }

    private static void fail(HttpServerResponse out, Throwable cause, AsyncCallback callback) {
        if (out.closed()) {
            // the client is gone (and its disconnect reset the call): nothing to answer
        } else if (!out.headWritten()) {
            out.setStatusCode(502).end("upstream call failed: " + cause.getMessage());
        } else {
            out.reset();
        }
        callback.done(false);
    }
}
