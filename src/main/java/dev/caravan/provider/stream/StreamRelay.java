package dev.caravan.provider.stream;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
        /** The first choice's text, held back where it may begin a key; null until a text comes. */
        private SecretRedactor.StreamText text;
        /** The other choices' (n > 1), by index. */
        private Map<Integer, SecretRedactor.StreamText> others;

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
            ChatChunk passed = passText(chunk);
            if (passed != null) {
                send(passed);
                if (passed.hasContent()) {
                    content();
                }
            }
        }

        /**
         * The chunk with each choice's text as it may pass ({@link SecretRedactor.StreamText}): less an end held
         * back, plus what was held before; what was held goes out before a finish, refusal or tool call. Null when
         * nothing is left to send. The same chunk when its text passes whole, as nearly every one does.
         */
        private ChatChunk passText(ChatChunk chunk) {
            if (chunk.choices() == null) {
                return chunk;
            }
            List<ChatChunk.Choice> passed = null;
            for (int i = 0; i < chunk.choices().size(); i++) {
                ChatChunk.Choice choice = chunk.choices().get(i);
                ChatChunk.Delta delta = choice.delta();
                String text = delta == null ? null : delta.content();
                String out;
                if (text != null && !text.isEmpty()) {
                    out = text(choice).pass(text);
                    if (endsText(choice) && holding(choice)) {
                        out += text(choice).release(); // the text ends in this very chunk
                    }
                } else if (endsText(choice) && holding(choice)) {
                    out = text(choice).release();
                } else {
                    continue;
                }
                if (out == text) {
                    continue;
                }
                if (passed == null) {
                    passed = new ArrayList<>(chunk.choices());
                }
                passed.set(i, new ChatChunk.Choice(choice.index(), delta == null ? ChatChunk.Delta.text(out)
                        : new ChatChunk.Delta(delta.role(), out, delta.refusal(), delta.toolCalls(), delta.extra()),
                        choice.finishReason(), choice.logprobs()));
            }
            if (passed == null) {
                return chunk;
            }
            ChatChunk out = new ChatChunk(chunk.id(), chunk.object(), chunk.created(), chunk.model(), passed,
                    chunk.usage(), chunk.systemFingerprint(), chunk.extra());
            return carriesNothing(out) ? null : out;
        }

        /** Whether the choice's delta ends its text: a finish, a refusal or a tool call (a role alone does not). */
        private static boolean endsText(ChatChunk.Choice choice) {
            ChatChunk.Delta delta = choice.delta();
            return choice.finishReason() != null
                    || delta != null && (delta.refusal() != null || delta.toolCalls() != null);
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
                        || d.toolCalls() != null || !d.extra().isEmpty()) {
                    return false;
                }
            }
            return true;
        }

        private SecretRedactor.StreamText text(ChatChunk.Choice choice) {
            int index = choice.index() == null ? 0 : choice.index();
            if (index == 0) {
                return text != null ? text : (text = redactor.streamText());
            }
            if (others == null) {
                others = new TreeMap<>();
            }
            return others.computeIfAbsent(index, i -> redactor.streamText());
        }

        private boolean holding(ChatChunk.Choice choice) {
            int index = choice.index() == null ? 0 : choice.index();
            SecretRedactor.StreamText held = index == 0 ? text : others == null ? null : others.get(index);
            return held != null && held.holding();
        }

        @Override
        protected void ending() {
            release(0, text);
            if (others != null) {
                others.forEach(this::release);
            }
        }

        private void release(int index, SecretRedactor.StreamText held) {
            if (held != null && held.holding()) {
                send(new ChatChunk(last.id(), last.object(), last.created(), last.model(), List.of(
                        new ChatChunk.Choice(index, ChatChunk.Delta.text(held.release()), null, null)), null,
                        last.systemFingerprint(), null));
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
