package dev.caravan.provider.stream;

import java.io.InputStream;
import java.util.List;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.SecretRedactor;

/**
 * Relays one provider stream to the client as translated chunks, applying the commit point of DESIGN §7 (see
 * {@link RelayLoop}), and says how it ended. The first content is a text, refusal or tool call; the usage-only chunk
 * is kept for the end. The {@link StreamWriter} owns the client's framing.
 */
public final class StreamRelay {

    private final SecretRedactor redactor;
    private final int maxEventChars;

    /** @param maxEventChars the longest stream event read from a provider (caravan.provider-answer.max-size) */
    public StreamRelay(SecretRedactor redactor, int maxEventChars) {
        this.redactor = redactor;
        this.maxEventChars = maxEventChars;
    }

    /**
     * Reads {@code body} to its end and relays it through {@code writer}. Whatever the result, the attempt's watch
     * is finished, and the connection is cut unless the stream was read to its end.
     *
     * @param commit what the client is told at the commit point (who serves, attempts so far)
     */
    public RelayResult relay(InputStream body, StreamDecoder decoder, StreamWriter writer, AttemptHandle handle,
            StreamSink.Commit commit) {
        return relaying(decoder, writer, handle, commit).read(body);
    }

    /** The relay of one stream through {@code writer}, ready to read its body either way. */
    public Relaying relaying(StreamDecoder decoder, StreamWriter writer, AttemptHandle handle,
            StreamSink.Commit commit) {
        return new Relaying(new Relay(writer, handle, commit), decoder, maxEventChars, false);
    }

    /** The state of one relayed stream. */
    private final class Relay extends RelayLoop<ChatChunk> {

        private final StreamWriter writer;
        private ChatChunk usage;
        private ChatChunk last;

        Relay(StreamWriter writer, AttemptHandle handle, StreamSink.Commit commit) {
            super(StreamRelay.this.redactor, handle, commit);
            this.writer = writer;
        }

        @Override
        protected void accept(SseEvent event, List<ChatChunk> chunks) {
            for (ChatChunk chunk : chunks) {
                take(chunk);
            }
        }

        private void take(ChatChunk chunk) {
            if (chunk.usage() != null && (chunk.choices() == null || chunk.choices().isEmpty())) {
                usage = chunk;
                return;
            }
            last = chunk;
            send(chunk);
            if (chunk.hasContent()) {
                content();
            }
        }

        @Override
        protected void begin(StreamSink.Commit commit) {
            writer.begin(commit);
        }

        @Override
        protected void write(ChatChunk chunk) {
            writer.chunk(chunk);
        }

        @Override
        protected void end() {
            writer.complete(usage);
        }

        @Override
        protected void breakOff(String reason) {
            writer.broken(reason);
        }

        @Override
        protected boolean clientGone() {
            return writer.clientGone();
        }

        @Override
        protected ChatResponse summary() {
            return new ChatResponse(last == null ? null : last.id(), "chat.completion",
                    last == null ? null : last.created(), last == null || last.model() == null
                            ? commit.model() : last.model(), List.of(), usage == null ? null : usage.usage(),
                    null, null);
        }
    }
}
