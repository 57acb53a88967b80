package dev.caravan.provider.stream;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.StreamSink;

/**
 * Writes a streamed answer to the client in the client's own protocol. The relay decides what is said and when
 * (the commit point, the end, a break); a writer only frames it: OpenAI Chat Completions chunks as SSE
 * ({@link OpenAiSseWriter}) today, other client protocols with writers of their own.
 *
 * <p>Nothing reaches the client before {@link #begin}; after it, the stream ends with exactly one of
 * {@link #complete} or {@link #broken}.
 */
public interface StreamWriter {

    /** Commits the answer: the response head (who serves it), then nothing until the first chunk. */
    void begin(StreamSink.Commit commit);

    /** One chunk of the answer. */
    void chunk(ChatChunk chunk);

    /**
     * Ends the answer as complete.
     *
     * @param usage the provider's usage chunk, or null when it reported none
     */
    void complete(ChatChunk usage);

    /**
     * Ends the answer as cut off after what was written: the protocol's own error event, then an aborted body,
     * so that no client can take the truncation for a whole answer.
     *
     * @param reason why, in words the caller may read (no secret in it)
     */
    void broken(String reason);

    /** True once the client has gone away. */
    boolean clientGone();

    /**
     * The answer's text the client has already when what is written next continues it (a resumed stream's
     * continuation, another attempt's), else empty: a key cut at the seam is found across it.
     */
    default String continues() {
        return "";
    }

    /** Opens the writer of one streamed attempt, in the client's protocol. */
    @FunctionalInterface
    interface Factory {

        /**
         * @param sink    the client's connection
         * @param request the request as the client sent it (canonical form)
         */
        StreamWriter open(StreamSink sink, ChatRequest request);
    }
}
