package dev.caravan.chat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where a streamed answer goes: the client's open connection. An ingress that can stream puts one in the request's
 * context; the provider route, given it with the attempt, writes to it from the commit point on.
 *
 * <p>Nothing is written before {@link #begin}: until then the request may still fail over, or end in a plain error
 * answer with a status code.
 */
public interface StreamSink {

    /** Commits the answer: status 200, an event stream, and who serves it. */
    void begin(Commit commit);

    /**
     * Writes one event's bytes ({@code data: ...\n\n}); blocks while the client is slower than the provider, except
     * on an event loop, where the writer asks {@link #backlogged} instead and waits for {@link #onDrain}.
     */
    void write(byte[] event);

    /** True while more is written than the client has taken: a writer on an event loop waits for {@link #onDrain}. */
    default boolean backlogged() {
        return false;
    }

    /** Runs {@code action} once, when the client has caught up (at once if it has); never if it goes away. */
    default void onDrain(Runnable action) {
        action.run();
    }

    /**
     * Completes once what {@link #abort} began reached the client: on an event loop an abort cannot wait for that,
     * and nothing else may answer on the connection meanwhile. Complete when no abort is under way.
     */
    default CompletionStage<Void> settled() {
        return CompletableFuture.completedFuture(null);
    }

    /** Ends the answer. Nothing more can be written. */
    void end();

    /**
     * Ends the answer as failed after the events written so far: the transport itself reports a broken answer
     * (an HTTP body cut without its end), so a client that ignores error events cannot take it for complete.
     */
    void abort();

    /**
     * Adds a field to the trailer sent after the last event by {@link #end}: what became known only once the head was
     * sent (a stream resumed on another provider). Ignored where the transport has no trailer.
     */
    default void trailer(String name, String value) {
    }

    /** True once {@link #begin} was called. */
    boolean begun();

    /** True when the client has gone away. */
    boolean clientGone();

    /** Why the client is gone when the gateway dropped it (it took nothing for too long), else null. */
    default String droppedBecause() {
        return null;
    }

    /** Runs {@code action} once if the client goes away before {@link #end}; replaces any earlier action. */
    void onClientGone(Runnable action);

    /**
     * Who serves a stream, told to the client before the first event.
     *
     * @param attempts every attempt's summary ({@code provider:model=outcome}), this one last
     */
    record Commit(String requestId, String provider, String model, List<String> attempts) {
    }
}
