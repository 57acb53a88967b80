package dev.caravan.provider.stream;

import io.vertx.core.buffer.Buffer;

/**
 * A provider answer's body handed on as it arrives, on the event loop that reads it: a stream relayed this way holds
 * no thread between two pieces. The reader slows the provider down by pausing the body while its client lags.
 */
public interface BodyFeed {

    /**
     * Hands the body to {@code reader}, on the body's event loop: what arrived so far at once, then each piece as it
     * arrives, and last its end or its failure (a broken connection, or the attempt cut).
     */
    void feed(Reader reader);

    /** Stops reading from the provider's socket until {@link #resume}. */
    void pause();

    void resume();

    /** What is told of the body, each on the body's event loop. */
    interface Reader {

        void data(Buffer piece);

        void ended();

        void failed(Throwable cause);
    }
}
