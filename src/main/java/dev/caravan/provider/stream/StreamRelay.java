package dev.caravan.provider.stream;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.ErrorBody;
import dev.caravan.chat.StreamSink;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.AttemptControls;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Relays one provider stream to the client, applying the commit point of DESIGN §7.
 *
 * <p>Until the first content (text, refusal or tool call) is decoded, nothing reaches the client and every failure
 * is thrown as an ordinary provider failure, so the router fails over silently: an in-stream provider error keeps
 * its class, a malformed or cut stream is {@code bad_response}, and a first token later than the attempt's limit is
 * {@code timeout}. From the first content on, the client has the answer's beginning: a failure (cut, stall past
 * the idle limit, in-stream error) ends the stream with an OpenAI-style error event and no {@code [DONE]}, and is
 * thrown as {@code stream_broken} so the breaker and metrics record it and the router stops. A single malformed
 * event inside a healthy stream is skipped and counted.
 *
 * <p>Late first content and stalls are caught by the attempt's {@link StreamWatch}, which cuts the connection.
 */
public final class StreamRelay {

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private final ObjectMapper json;
    private final MeterRegistry meters;
    private final SecretRedactor redactor;
    private final int maxEventChars;

    public StreamRelay(ObjectMapper json, MeterRegistry meters, SecretRedactor redactor) {
        this(json, meters, redactor, SseReader.DEFAULT_MAX_EVENT_CHARS);
    }

    /** @param maxEventChars the longest stream event read from a provider (caravan.provider-answer.max-size) */
    public StreamRelay(ObjectMapper json, MeterRegistry meters, SecretRedactor redactor, int maxEventChars) {
        this.json = json;
        this.meters = meters;
        this.redactor = redactor;
        this.maxEventChars = maxEventChars;
    }

    /**
     * What the relay needs to know about the attempt.
     *
     * @param includeUsage     the caller asked for the usage chunk ({@code stream_options.include_usage})
     * @param commit           what the client is told at the commit point (who serves, attempts so far)
     */
    public record Attempt(Target target, long startedNanos, boolean includeUsage, StreamSink.Commit commit) {
    }

    /**
     * Reads {@code body} to its end and relays it.
     *
     * @return the reply to record: usage and model of the answer, time to first content
     * @throws ProviderFailure before the commit point, any failure; after it, {@code stream_broken}
     */
    public ProviderReply relay(InputStream body, StreamDecoder decoder, StreamSink sink, StreamWatch watch,
            Attempt attempt) {
        AttemptControls.Connection connection = watch.connection();
        sink.onClientGone(connection::cut);
        List<ChatChunk> held = new ArrayList<>();
        ChatChunk usage = null;
        ChatChunk last = null;
        long firstContentNanos = 0;
        try {
            SseReader reader = new SseReader(body, maxEventChars);
            SseEvent event;
            while ((event = next(reader, watch, sink)) != null) {
                watch.touch();
                List<ChatChunk> chunks;
                try {
                    chunks = decoder.decode(event);
                } catch (StreamDecoder.MalformedEvent e) {
                    if (!sink.begun()) {
                        throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200, "the provider's stream is malformed "
                                + "before any content: " + e.getMessage(), null);
                    }
                    meters.counter(Meters.STREAM_MALFORMED_EVENTS, Meters.PROVIDER, attempt.target().provider())
                            .increment();
                    continue;
                } catch (ProviderFailure e) {
                    if (!sink.begun()) {
                        throw e;
                    }
                    throw broken(sink, "the provider failed inside the stream: " + redactor.redact(e).getMessage());
                }
                for (ChatChunk chunk : chunks) {
                    if (chunk.usage() != null && (chunk.choices() == null || chunk.choices().isEmpty())) {
                        usage = chunk;
                        continue;
                    }
                    last = chunk;
                    if (sink.begun()) {
                        sink.write(event(chunk));
                    } else {
                        held.add(chunk);
                        if (chunk.hasContent()) {
                            firstContentNanos = System.nanoTime();
                            commit(sink, attempt, held, watch);
                        }
                    }
                }
                if (sink.clientGone()) {
                    break;
                }
            }
            if (sink.clientGone()) {
                watch.finish();
                connection.cut(); // stop the provider generating (and billing) an answer nobody reads
                // abandoned, not served: the caller has only part of the answer, and nobody else is asked for it
                throw ProviderFailure.abandoned();
            }
            if (!decoder.complete()) {
                if (!sink.begun()) {
                    throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                            "the provider's stream ended before any content", null);
                }
                throw broken(sink, "the provider's stream ended before the answer was complete");
            }
            if (!sink.begun()) {
                firstContentNanos = System.nanoTime(); // an empty answer: it is complete, so it is committed now
                commit(sink, attempt, held, watch);
            }
            if (attempt.includeUsage() && usage != null) {
                sink.write(event(usage));
            }
            sink.write(DONE);
            sink.end();
            watch.finish();
            return reply(attempt, last, usage, firstContentNanos);
        } catch (ProviderFailure e) {
            watch.finish();
            connection.cut();
            throw e;
        } catch (RuntimeException e) {
            watch.finish();
            connection.cut();
            if (sink.begun()) {
                throw broken(sink, "the gateway failed while relaying the stream");
            }
            throw e;
        }
    }

    private SseEvent next(SseReader reader, StreamWatch watch, StreamSink sink) {
        try {
            return reader.next();
        } catch (IOException e) {
            if (sink.clientGone()) {
                return null;
            }
            if (watch.expired() != null) {
                if (!sink.begun()) {
                    throw new ProviderFailure(FailureClass.TIMEOUT, 0, watch.expired(), null);
                }
                throw broken(sink, watch.expired());
            }
            if (!sink.begun()) {
                throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                        "the provider's stream broke before any content (" + e.getClass().getSimpleName() + ")", null);
            }
            throw broken(sink, "the provider's stream broke (" + e.getClass().getSimpleName() + ")");
        }
    }

    private void commit(StreamSink sink, Attempt attempt, List<ChatChunk> held, StreamWatch watch) {
        sink.begin(attempt.commit());
        watch.committed();
        ChatChunk first = held.isEmpty() ? null : held.getFirst();
        if (first != null && !startsWithRole(first)) {
            // clients build the message from the first delta's role: a compatible server that sends none gets one
            sink.write(event(ChatChunk.of(first.id(), first.created() == null ? 0 : first.created(), first.model(),
                    ChatChunk.Delta.role("assistant"), null)));
        }
        for (ChatChunk chunk : held) {
            sink.write(event(chunk));
        }
        held.clear();
    }

    private static boolean startsWithRole(ChatChunk chunk) {
        return chunk.choices() != null && !chunk.choices().isEmpty() && chunk.choices().getFirst().delta() != null
                && chunk.choices().getFirst().delta().role() != null;
    }

    /**
     * Ends the client's stream with an error event, no [DONE] and an aborted body; the failure to throw for the
     * breaker.
     */
    private ProviderFailure broken(StreamSink sink, String reason) {
        sink.write(event(ErrorBody.of(json, "The answer was cut off: " + reason + ".", "api_error",
                "stream_broken", null)));
        sink.abort();
        return new ProviderFailure(FailureClass.STREAM_BROKEN, 200, reason, null);
    }

    /** One SSE event; without any configured key, whatever field of the provider's chunk it was echoed in. */
    private byte[] event(Object chunk) {
        try {
            byte[] body = redactor.scrub(json.writeValueAsBytes(chunk));
            byte[] event = new byte[body.length + 8];
            System.arraycopy("data: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, event, 0, 6);
            System.arraycopy(body, 0, event, 6, body.length);
            event[event.length - 2] = '\n';
            event[event.length - 1] = '\n';
            return event;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stream chunk could not be written as JSON", e);
        }
    }

    private static ProviderReply reply(Attempt attempt, ChatChunk last, ChatChunk usage, long firstContentNanos) {
        ChatResponse summary = new ChatResponse(last == null ? null : last.id(), "chat.completion",
                last == null ? null : last.created(), last == null || last.model() == null
                        ? attempt.target().model() : last.model(), List.of(), usage == null ? null : usage.usage(),
                null, null);
        return new ProviderReply(summary, 200, firstContentNanos == 0 ? 0 : firstContentNanos - attempt.startedNanos());
    }
}
