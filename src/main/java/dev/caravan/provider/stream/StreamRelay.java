package dev.caravan.provider.stream;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

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
        /** Each choice's texts, held back where they may begin a key; null until a text comes. */
        private StreamTexts texts;

        Relay(StreamWriter writer, AttemptHandle handle, StreamSink.Commit commit) {
            super(StreamRelay.this.redactor, handle, commit);
            this.writer = writer;
            String sent = writer.continues();
            if (!sent.isEmpty()) {
                // a continuation: its text goes on after what the attempt that broke sent, where a key may have begun
                texts = new StreamTexts(redactor);
                texts.follows(new StreamTexts.Field(0, StreamTexts.CONTENT, 0), sent);
            }
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
            ChatChunk passed = passText(chunk);
            if (passed != null) {
                send(passed);
                if (passed.hasContent()) {
                    content();
                }
            }
        }

        /**
         * The chunk with each text of each choice as it may pass ({@link StreamTexts}): less an end held back, plus
         * what was held before; what a field held goes out first, in a chunk of its own, when the choice goes on with
         * another field or finishes. Null when nothing is left to send. The same chunk when its texts pass whole, as
         * nearly every one does.
         */
        private ChatChunk passText(ChatChunk chunk) {
            if (chunk.choices() == null) {
                return chunk;
            }
            List<ChatChunk.Choice> passed = null;
            for (int i = 0; i < chunk.choices().size(); i++) {
                ChatChunk.Choice choice = chunk.choices().get(i);
                if (!StreamTexts.tells(choice)) {
                    continue; // a role, an empty delta: nothing held ends, nothing to hold
                }
                if (texts == null) {
                    texts = new StreamTexts(redactor);
                }
                StreamTexts.Field only = StreamTexts.contentOnly(choice);
                if (only != null && !texts.holding()) {
                    // nearly every chunk: its text passes whole, without a look at other fields
                    String text = choice.delta().content();
                    String now = texts.pass(only, text);
                    if (now == text && !texts.holding(only)) {
                        continue;
                    }
                    if (choice.finishReason() != null && texts.holding(only)) {
                        now += texts.release(only); // the text ends in this very chunk
                    }
                    if (passed == null) {
                        passed = new ArrayList<>(chunk.choices());
                    }
                    passed.set(i, new ChatChunk.Choice(choice.index(), withTexts(choice.delta(), Map.of(only, now)),
                            choice.finishReason(), choice.logprobs()));
                    continue;
                }
                Map<StreamTexts.Field, String> said = StreamTexts.texts(choice, true);
                if (said.isEmpty() && !texts.holding()) {
                    continue;
                }
                for (StreamTexts.Field ended : texts.ending(StreamTexts.index(choice), said.keySet())) {
                    release(ended, chunk);
                }
                Map<StreamTexts.Field, String> out = null;
                for (Map.Entry<StreamTexts.Field, String> text : said.entrySet()) {
                    String now = texts.pass(text.getKey(), text.getValue());
                    if (choice.finishReason() != null && texts.holding(text.getKey())) {
                        now += texts.release(text.getKey()); // the text ends in this very chunk
                    }
                    if (now != text.getValue()) {
                        if (out == null) {
                            out = new LinkedHashMap<>(said);
                        }
                        out.put(text.getKey(), now);
                    }
                }
                if (out == null) {
                    continue;
                }
                if (passed == null) {
                    passed = new ArrayList<>(chunk.choices());
                }
                passed.set(i, new ChatChunk.Choice(choice.index(), withTexts(choice.delta(), out),
                        choice.finishReason(), choice.logprobs()));
            }
            if (passed == null) {
                return chunk;
            }
            ChatChunk out = new ChatChunk(chunk.id(), chunk.object(), chunk.created(), chunk.model(), passed,
                    chunk.usage(), chunk.systemFingerprint(), chunk.extra());
            return carriesNothing(out) ? null : out;
        }

        /** The delta with its texts as they pass. */
        private static ChatChunk.Delta withTexts(ChatChunk.Delta delta, Map<StreamTexts.Field, String> texts) {
            String content = delta.content();
            String refusal = delta.refusal();
            JsonNode calls = delta.toolCalls();
            Map<String, JsonNode> extra = delta.extra();
            for (Map.Entry<StreamTexts.Field, String> text : texts.entrySet()) {
                StreamTexts.Field field = text.getKey();
                switch (field.name()) {
                    case StreamTexts.CONTENT -> content = text.getValue();
                    case StreamTexts.REFUSAL -> refusal = text.getValue();
                    case StreamTexts.ARGUMENTS -> {
                        calls = calls == delta.toolCalls() ? calls.deepCopy() : calls;
                        int position = 0;
                        for (JsonNode call : calls) {
                            int tool = call.path("index").canConvertToInt() ? call.get("index").asInt() : position;
                            position++;
                            if (tool == field.tool() && call.path("function") instanceof ObjectNode function) {
                                function.put("arguments", text.getValue());
                            }
                        }
                    }
                    default -> {
                        extra = extra == delta.extra() ? new LinkedHashMap<>(extra) : extra;
                        extra.put(field.name(), TextNode.valueOf(text.getValue()));
                    }
                }
            }
            return new ChatChunk.Delta(delta.role(), content, refusal, calls, extra);
        }

        /** Whether the chunk would tell the client nothing: its only text held back whole. */
        private static boolean carriesNothing(ChatChunk chunk) {
            if (chunk.usage() != null || !chunk.extra().isEmpty()) {
                return false;
            }
            for (ChatChunk.Choice choice : chunk.choices()) {
                ChatChunk.Delta d = choice.delta();
                if (choice.finishReason() != null || choice.logprobs() != null || d == null || d.role() != null
                        || d.content() != null && !d.content().isEmpty() || d.refusal() != null
                        && !d.refusal().isEmpty() || d.toolCalls() != null
                        || d.extra().values().stream().anyMatch(v -> !v.isTextual() || !v.textValue().isEmpty())) {
                    return false;
                }
            }
            return true;
        }

        @Override
        protected void ending() {
            releaseHeld();
        }

        /** Sends what each text holds, the answer's text having ended (see {@link #release}). */
        private void releaseHeld() {
            if (texts != null && last != null) {
                for (StreamTexts.Field ended : texts.ending(-1, List.of())) {
                    release(ended, last);
                }
            }
        }

        /** Sends what a field held, its text having ended, in a chunk of its own like {@code like}. */
        private void release(StreamTexts.Field field, ChatChunk like) {
            String rest = texts.release(field);
            if (rest.isEmpty()) {
                return;
            }
            ChatChunk.Delta delta = switch (field.name()) {
                case StreamTexts.CONTENT -> ChatChunk.Delta.text(rest);
                case StreamTexts.REFUSAL -> new ChatChunk.Delta(null, null, rest, null, null);
                case StreamTexts.ARGUMENTS -> {
                    ArrayNode calls = JsonNodeFactory.instance.arrayNode();
                    calls.addObject().put("index", field.tool()).putObject("function").put("arguments", rest);
                    yield ChatChunk.Delta.toolCalls(calls);
                }
                default -> new ChatChunk.Delta(null, null, null, null,
                        new LinkedHashMap<>(Map.of(field.name(), TextNode.valueOf(rest))));
            };
            send(new ChatChunk(like.id(), like.object(), like.created(), like.model(),
                    List.of(new ChatChunk.Choice(field.choice(), delta, null, null)), null,
                    like.systemFingerprint(), null));
            content();
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
            // nothing can complete a key now: what a text held goes as at a clean end (as it came when shorter than a
            // piece of a key, else [redacted]), before the error; a continuation (resume) goes on after it
            releaseHeld();
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
