package dev.caravan.provider;

import java.util.List;
import java.util.Map;

import dev.caravan.chat.Usage;
import dev.caravan.provider.stream.SseEvent;

/**
 * The translation of one exchange between the protocol a client speaks and the wire format of the backend that
 * serves it, in the manner of Envoy AI Gateway's translators: one class per (client protocol, backend) pair,
 * created per request, so that it may keep state across a stream (ids, tool call numbering, running usage).
 * Pure: the caller owns every byte of I/O and every header of credentials; a translator opens no connection, reads
 * no clock but the one it was built with, and logs nothing.
 *
 * <p>For one attempt: {@link #requestBody} once; then, for a 2xx answer, {@link #responseHeaders} and either
 * {@link #responseBody} once or {@link #responseChunk} per stream event, the last call with {@code endOfStream};
 * for any other status {@link #responseError}. A translator that fails (a request it cannot represent, an answer
 * that is not the backend's format, an error inside the stream) throws a {@link ProviderFailure} of the class the
 * failure stands for.
 *
 * @param <Q> the client's request
 * @param <R> the client's whole answer
 * @param <C> one event of the client's streamed answer
 */
public interface Translator<Q, R, C> {

    /** The backend's request for the client's; a {@link FailureClass#CALLER_FAULT} failure naming the field when it cannot be. */
    Upstream requestBody(Q request);

    /** The headers of the backend's answer that the client sees (names lower-cased); none unless the pair passes some on. */
    default Map<String, String> responseHeaders(Map<String, String> headers) {
        return Map.of();
    }

    /** The client's answer for a whole 2xx backend body, with the usage and the model the backend reported. */
    Answer<R> responseBody(Map<String, String> headers, byte[] body);

    /**
     * The client events one backend stream event stands for.
     *
     * @param event       the next event, or null on a last call that only closes the stream
     * @param endOfStream true when no event follows this one
     */
    Piece<C> responseChunk(SseEvent event, boolean endOfStream);

    /** The failure a non-2xx backend answer stands for, with how long to wait before this backend is tried again. */
    ProviderFailure responseError(int status, Map<String, String> headers, byte[] body);

    /**
     * What to send to the backend.
     *
     * @param path the path (and query) below the backend's base URL
     */
    record Upstream(String path, byte[] body) {
    }

    /**
     * @param usage the tokens the answer cost, or null when the backend reported none
     * @param model the model that answered, as the backend names it
     */
    record Answer<R>(R body, Usage usage, String model) {
    }

    /**
     * @param events   the client events, in order; empty for what carries nothing for the client
     * @param usage    the usage this event reported, or null
     * @param complete true once the backend has signalled the end of the answer; at the end of the stream, false
     *                 means the answer was cut short
     */
    record Piece<C>(List<C> events, Usage usage, boolean complete) {
    }
}
