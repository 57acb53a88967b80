package dev.caravan.passthrough;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.Usage;
import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.stream.RelayLoop;
import dev.caravan.provider.stream.RelayResult;
import dev.caravan.provider.stream.Relaying;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.StreamDecoder;

/**
 * Relays a passed-through stream to the client event by event, as each arrives, in the provider's own framing (the
 * client speaks the same protocol). A decoder of the protocol reads each event alongside, only to know what the
 * gateway must know: the first content (the commit point, before which a failure still fails over silently),
 * the usage and the model (metrics, cost, client budgets), the end of the answer (a clean end without it is a
 * truncation), and an in-stream error. After the commit point a break ends the stream with the protocol's own error
 * event and an aborted body, as on the translated path.
 *
 * <p>Each event leaves with its {@code event:} and {@code data:} fields as sent, after the comments, {@code id:} and
 * {@code retry:} lines that came with it, scrubbed of keys; a block of comments alone (a provider's
 * {@code : keep-alive}) is relayed too, since a client's idle timer counts on it.
 */
final class RawStreamRelay {

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private final SecretRedactor redactor;
    private final int maxEventChars;

    RawStreamRelay(SecretRedactor redactor, int maxEventChars) {
        this.redactor = redactor;
        this.maxEventChars = maxEventChars;
    }

    /**
     * Reads {@code body} to its end and relays it to {@code sink}.
     *
     * @param dropUsage true when the usage-only chunk was asked for by the gateway, not the client (Chat Completions)
     */
    RelayResult relay(InputStream body, ClientApi api, StreamDecoder decoder, StreamSink sink, AttemptHandle handle,
            StreamSink.Commit commit, boolean dropUsage) {
        return relaying(api, decoder, sink, handle, commit, dropUsage).read(body);
    }

    /** The relay of one stream to {@code sink}, ready to read its body either way; see {@link #relay}. */
    Relaying relaying(ClientApi api, StreamDecoder decoder, StreamSink sink, AttemptHandle handle,
            StreamSink.Commit commit, boolean dropUsage) {
        ResponsesReading.Decoder responses = decoder instanceof ResponsesReading.Decoder d ? d : null;
        return new Relaying(new Relay(api, sink, handle, commit, dropUsage, responses), decoder, maxEventChars, true);
    }

    private final class Relay extends RelayLoop<byte[]> {

        private final ClientApi api;
        private final StreamSink sink;
        private final boolean dropUsage;
        /** What a Responses stream told of its response, for the events that end it when it breaks. */
        private final ResponsesReading.Decoder responses;
        private Usage usage;
        private String id;
        private Long created;
        private String model;
        private String finishReason;
        private boolean done;

        Relay(ClientApi api, StreamSink sink, AttemptHandle handle, StreamSink.Commit commit, boolean dropUsage,
                ResponsesReading.Decoder responses) {
            super(RawStreamRelay.this.redactor, handle, commit);
            this.api = api;
            this.sink = sink;
            this.dropUsage = dropUsage;
            this.responses = responses;
        }

        @Override
        protected void accept(SseEvent event, List<ChatChunk> chunks) {
            boolean content = false;
            boolean usageOnly = false;
            for (ChatChunk chunk : chunks) {
                content |= chunk.hasContent();
                read(chunk);
                usageOnly |= chunk.usage() != null && (chunk.choices() == null || chunk.choices().isEmpty());
            }
            if ("[DONE]".equals(event.data())) {
                done = true;
            }
            if (!(dropUsage && usageOnly)) {
                send(frame(event));
            }
            if (content) {
                content();
            }
        }

        private void read(ChatChunk chunk) {
            if (chunk.usage() != null) {
                usage = chunk.usage();
            }
            if (chunk.id() != null) {
                id = chunk.id();
            }
            if (chunk.created() != null) {
                created = chunk.created();
            }
            if (chunk.model() != null) {
                model = chunk.model();
            }
            if (chunk.choices() != null) {
                for (ChatChunk.Choice choice : chunk.choices()) {
                    if (choice.finishReason() != null) {
                        finishReason = choice.finishReason();
                    }
                }
            }
        }

        @Override
        protected void passOn(SseEvent others) {
            send(frame(others));
        }

        /** The event as the provider framed it, without keys. */
        private byte[] frame(SseEvent event) {
            if (event.data() == null) {
                return (RawStreamRelay.this.redactor.scrub(event.others()) + "\n").getBytes(StandardCharsets.UTF_8);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(event.data().length() + 32);
            if (event.others() != null) {
                out.writeBytes(RawStreamRelay.this.redactor.scrub(event.others()).getBytes(StandardCharsets.UTF_8));
            }
            if (event.event() != null) {
                out.writeBytes(("event: " + event.event() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            for (String line : RawStreamRelay.this.redactor.scrubJson(event.data()).split("\n", -1)) {
                out.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
                out.writeBytes(line.getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
            out.write('\n');
            return out.toByteArray();
        }

        @Override
        protected void begin(StreamSink.Commit commit) {
            sink.begin(commit);
        }

        @Override
        protected void write(byte[] event) {
            sink.write(event);
        }

        @Override
        protected void end() {
            if (api == ClientApi.CHAT_COMPLETIONS && !done) {
                sink.write(DONE); // a stream that ended cleanly without its end marker is finalised at once
            }
            sink.end();
        }

        @Override
        protected void breakOff(String reason) {
            String message = "The answer was cut off: " + reason + ".";
            // a Responses client is told as the API tells a failed response, not only by an error event
            sink.write(responses != null ? RawStreamRelay.this.redactor.scrub(responses.broken(message))
                    .getBytes(StandardCharsets.UTF_8) : BrokenEvents.of(api, message));
            sink.abort();
        }

        @Override
        protected boolean clientGone() {
            return sink.clientGone();
        }

        @Override
        protected ChatResponse summary() {
            List<ChatResponse.Choice> choices = finishReason == null ? List.of()
                    : List.of(new ChatResponse.Choice(0, null, finishReason, null));
            return new ChatResponse(id, "chat.completion", created, model != null ? model : commit.model(), choices,
                    usage, null, null);
        }
    }
}
