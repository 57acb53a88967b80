package dev.caravan.passthrough;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** Reads events to rewrite their text; floats as decimals, so that a rewritten event keeps their digits. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final Set<String> TEXT_FIELDS = Set.of("content", "text", "delta");

    /** Replaces the first string of a text field that is {@code said} with {@code passed}. */
    private static boolean replaced(JsonNode node, String said, String passed) {
        if (node instanceof ObjectNode object) {
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                if (field.getValue().isTextual() && TEXT_FIELDS.contains(field.getKey())
                        && field.getValue().textValue().equals(said)) {
                    object.put(field.getKey(), passed);
                    return true;
                }
                if (field.getValue().isContainerNode() && replaced(field.getValue(), said, passed)) {
                    return true;
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (JsonNode element : array) {
                if (replaced(element, said, passed)) {
                    return true;
                }
            }
        }
        return false;
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
        /** The first choice's text, held back where it may begin a key; null until a text comes. */
        private SecretRedactor.StreamText text;
        /** The last event whose text was cut, and that text: the frame what is held goes out in, when released. */
        private SseEvent cutEvent;
        private String cutText;

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
            byte[] frame;
            // a Responses stream's chunks only mark its events; its decoder read the text
            String said = responses != null ? responses.text() : text(chunks);
            if (said != null) {
                if (text().holding() && framed(event, said, said, false) == null) {
                    releaseText(); // the event's text cannot take what is held: it goes out first, in its own frame
                }
                String passed = text.pass(said);
                if (text.holding() && endsText(event, chunks)) {
                    passed += text.release(); // the text ends in this very event (a finish with the last words)
                }
                frame = passed == said ? frame(event) : framed(event, said, passed, true);
                if (frame == null) {
                    // the text is not one string of the event (parts of one): the event goes whole, scrubbed alone
                    text.release();
                    frame = frame(event);
                } else if (passed != said) {
                    cutEvent = event;
                    cutText = said;
                    content = !passed.isEmpty() || chunks.stream().anyMatch(Relay::otherContent);
                }
            } else {
                if (text != null && text.holding() && endsText(event, chunks)) {
                    releaseText();
                }
                frame = frame(event);
            }
            if (!(dropUsage && usageOnly)) {
                send(frame);
            }
            if (content) {
                content();
            }
        }

        private SecretRedactor.StreamText text() {
            return text != null ? text : (text = RawStreamRelay.this.redactor.streamText());
        }

        /** The text the event adds to the first choice, or null. */
        private static String text(List<ChatChunk> chunks) {
            String text = null;
            for (ChatChunk chunk : chunks) {
                if (chunk.choices() != null) {
                    for (ChatChunk.Choice choice : chunk.choices()) {
                        String content = choice.delta() == null ? null : choice.delta().content();
                        if ((choice.index() == null || choice.index() == 0) && content != null && !content.isEmpty()) {
                            text = text == null ? content : text + content;
                        }
                    }
                }
            }
            return text;
        }

        /** Whether a chunk carries content besides text: a refusal, a tool call or reasoning. */
        private static boolean otherContent(ChatChunk chunk) {
            if (chunk.choices() == null) {
                return false;
            }
            for (ChatChunk.Choice choice : chunk.choices()) {
                ChatChunk.Delta d = choice.delta();
                if (d != null && (d.refusal() != null || d.toolCalls() != null || !d.extra().isEmpty())) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Whether an event without text ends the text held back: anything but a keep-alive ({@code ping}) or an event
         * that tells nothing (a role, an empty delta); what is held goes out before it, in its protocol's place.
         */
        private static boolean endsText(SseEvent event, List<ChatChunk> chunks) {
            if ("ping".equals(event.event())) {
                return false;
            }
            if (chunks.isEmpty()) {
                return true; // another protocol event: a block's end, a message's end, [DONE]
            }
            for (ChatChunk chunk : chunks) {
                if (chunk.usage() != null || chunk.finishReason() != null || otherContent(chunk)) {
                    return true;
                }
            }
            return false;
        }

        /** Sends what is held in the frame of the event it was cut from, as that event's text. */
        private void releaseText() {
            String rest = text.release();
            byte[] frame = framed(cutEvent, cutText, rest, false);
            if (frame != null && !rest.isEmpty()) { // (it was framed so once)
                send(frame);
                content();
            }
        }

        @Override
        protected void ending() {
            if (text != null && text.holding()) {
                releaseText();
            }
        }

        /**
         * The event with its text, {@code said}, replaced by what may pass of it, and without keys; null when the text
         * is not one string of the event (a delta's {@code content}, {@code text} or {@code delta}).
         *
         * @param withOthers keep the comments, {@code id:} and {@code retry:} lines that came with it (not for a
         *                   release, which repeats an event's frame)
         */
        private byte[] framed(SseEvent event, String said, String passed, boolean withOthers) {
            try {
                JsonNode tree = JSON.readTree(event.data());
                if (!replaced(tree, said, passed)) {
                    return null;
                }
                return frame(new SseEvent(event.event(), JSON.writeValueAsString(tree),
                        withOthers ? event.others() : null));
            } catch (IOException e) {
                return null;
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
