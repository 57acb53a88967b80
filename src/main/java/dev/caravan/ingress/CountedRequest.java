package dev.caravan.ingress;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.core.http.impl.HttpServerRequestWrapper;

/**
 * A request whose body bytes are counted against the {@link BodyBudget} as they arrive, before its reader (the body
 * handler) gets them. Bytes that do not fit refuse the request ({@code refuse}, which answers it): its reader gets
 * nothing more, not even the body's end, so the route never runs on half a body.
 */
final class CountedRequest extends HttpServerRequestWrapper {

    private final BodyBudget.Hold hold;
    private final Runnable refuse;
    /** Read and written on the connection's event loop only. */
    private boolean refused;

    CountedRequest(HttpServerRequest request, BodyBudget.Hold hold, Runnable refuse) {
        super((HttpServerRequestInternal) request);
        this.hold = hold;
        this.refuse = refuse;
    }

    @Override
    public HttpServerRequest handler(Handler<Buffer> handler) {
        delegate.handler(handler == null ? null : chunk -> {
            if (refused) {
                return;
            }
            if (hold.arrived(chunk.length())) {
                handler.handle(chunk);
            } else {
                refused = true;
                refuse.run();
            }
        });
        return this;
    }

    @Override
    public HttpServerRequest endHandler(Handler<Void> handler) {
        delegate.endHandler(handler == null ? null : end -> {
            if (!refused) {
                handler.handle(end);
            }
        });
        return this;
    }

    /** The whole body, through {@link #handler} (the delegate's own would collect it uncounted). */
    @Override
    public Future<Buffer> body() {
        Promise<Buffer> whole = Promise.promise();
        Buffer body = Buffer.buffer();
        handler(body::appendBuffer);
        endHandler(end -> whole.tryComplete(body));
        exceptionHandler(whole::tryFail);
        return whole.future();
    }
}
