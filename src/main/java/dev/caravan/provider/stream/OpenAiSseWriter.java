package dev.caravan.provider.stream;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ErrorBody;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.SecretRedactor;

/**
 * The OpenAI Chat Completions stream: each chunk a {@code data: {json}} event, {@code data: [DONE]} at the end, the
 * usage chunk before it only when the caller asked for it ({@code stream_options.include_usage}), and on a break
 * an OpenAI error body with code {@code stream_broken}. Every event is scrubbed of the configured keys on its way
 * out, whatever field of the provider's chunk one was echoed in. One per streamed attempt.
 */
public final class OpenAiSseWriter implements StreamWriter {

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ObjectMapper json;
    private final SecretRedactor redactor;
    private final StreamSink sink;
    private final boolean includeUsage;
    private boolean first = true;

    public OpenAiSseWriter(ObjectMapper json, SecretRedactor redactor, StreamSink sink, boolean includeUsage) {
        this.json = json;
        this.redactor = redactor;
        this.sink = sink;
        this.includeUsage = includeUsage;
    }

    @Override
    public void begin(StreamSink.Commit commit) {
        sink.begin(commit);
    }

    @Override
    public void chunk(ChatChunk chunk) {
        if (first) {
            first = false;
            if (!startsWithRole(chunk)) {
                // clients build the message from the first delta's role: a compatible server that sends none gets one
                sink.write(event(ChatChunk.of(chunk.id(), chunk.created() == null ? 0 : chunk.created(), chunk.model(),
                        ChatChunk.Delta.role("assistant"), null)));
            }
        }
        sink.write(event(chunk));
    }

    @Override
    public void complete(ChatChunk usage) {
        if (includeUsage && usage != null) {
            sink.write(event(usage));
        }
        sink.write(DONE);
        sink.end();
    }

    @Override
    public void broken(String reason) {
        sink.write(event(ErrorBody.of(json, "The answer was cut off: " + reason + ".", "api_error", "stream_broken",
                null)));
        sink.abort();
    }

    @Override
    public boolean clientGone() {
        return sink.clientGone();
    }

    private static boolean startsWithRole(ChatChunk chunk) {
        return chunk.choices() != null && !chunk.choices().isEmpty() && chunk.choices().getFirst().delta() != null
                && chunk.choices().getFirst().delta().role() != null;
    }

    private byte[] event(Object chunk) {
        try {
            byte[] body = redactor.scrub(json.writeValueAsBytes(chunk));
            byte[] event = new byte[DATA.length + body.length + 2];
            System.arraycopy(DATA, 0, event, 0, DATA.length);
            System.arraycopy(body, 0, event, DATA.length, body.length);
            event[event.length - 2] = '\n';
            event[event.length - 1] = '\n';
            return event;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stream chunk could not be written as JSON", e);
        }
    }
}
