package dev.caravan.resume;

import java.util.ArrayList;
import java.util.List;

import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.Usage;

/**
 * One answer streamed to the client by several attempts, as the client must see it: one stream. The first attempt's
 * chunks pass unchanged and are remembered (the id, the text so far); a continuation's chunks take the first
 * attempt's id and creation time, lose the role a new answer starts with, and have their repetition of the text's
 * end dropped at the seam ({@link Seam}). The usage at the end is the sum over every attempt ({@link UsageSum}).
 *
 * <p>Pure and single-threaded: the chunks of one request's attempts arrive one attempt after the other.
 */
public final class JoinedStream {

    /**
     * A seam: the answer broke on {@code from} after {@code piece} pieces of content and went on on {@code to}.
     *
     * @param to the target that continued it; null until one did
     */
    public record Resumed(String from, int piece, String to) {

        /** {@code from@piece>to}, as the trailer and the log show it. */
        public String summary() {
            return from + "@" + piece + ">" + (to == null ? "?" : to);
        }
    }

    private String id;
    private Long created;
    private String model;
    private final StringBuilder text = new StringBuilder();
    private int attemptChars;
    private int pieces;
    private boolean toolCalls;
    private boolean refusal;
    private boolean finished;
    private Seam seam;
    private Usage earlier;
    private final List<Resumed> seams = new ArrayList<>();

    /** The chunks to send for {@code chunk}: itself, rewritten as part of the one stream, or nothing. */
    public List<ChatChunk> accept(ChatChunk chunk) {
        if (id == null) {
            id = chunk.id();
            created = chunk.created();
        }
        if (seam == null) {
            note(chunk);
            return List.of(chunk);
        }
        List<ChatChunk> out = new ArrayList<>(2);
        List<ChatChunk.Choice> choices = new ArrayList<>();
        for (ChatChunk.Choice choice : chunk.choices() == null ? List.<ChatChunk.Choice>of() : chunk.choices()) {
            ChatChunk.Delta d = choice.delta();
            if (d == null) {
                choices.add(choice);
                continue;
            }
            String content = d.content() == null ? null : seam.offer(d.content());
            // reasoning may come before the continuation's text; its end, a tool call or the finish, after it
            boolean ends = choice.finishReason() != null || d.toolCalls() != null;
            boolean other = ends || d.refusal() != null || !d.extra().isEmpty() || choice.logprobs() != null;
            if (ends && !seam.decided()) {
                // the continuation's text ends here: what was held goes out before whatever else this chunk says
                String held = seam.flush();
                content = content == null ? held : content + held;
            }
            if ((content == null || content.isEmpty()) && !other) {
                continue;
            }
            choices.add(new ChatChunk.Choice(choice.index(), new ChatChunk.Delta(null,
                    content == null || content.isEmpty() ? null : content, d.refusal(), d.toolCalls(), d.extra()),
                    choice.finishReason(), choice.logprobs()));
        }
        if (!choices.isEmpty() || chunk.usage() != null) {
            ChatChunk joined = new ChatChunk(id, chunk.object(), created, chunk.model(), List.copyOf(choices),
                    chunk.usage(), chunk.systemFingerprint(), chunk.extra());
            note(joined);
            out.add(joined);
        }
        return out;
    }

    /** The chunk that releases text still held at the seam, or nothing. */
    public List<ChatChunk> flush() {
        if (seam == null || seam.decided()) {
            return List.of();
        }
        String held = seam.flush();
        if (held.isEmpty()) {
            return List.of();
        }
        ChatChunk chunk = ChatChunk.of(id, created == null ? 0 : created, model, ChatChunk.Delta.text(held), null);
        note(chunk);
        return List.of(chunk);
    }

    /**
     * Why this answer cannot go on on another target, or null when it can: a tool call, a refusal or a finish reason
     * was sent already, or nothing was.
     */
    public String whyNotResumable() {
        if (id == null) {
            return "nothing was sent";
        }
        if (toolCalls) {
            return "it carries a tool call";
        }
        if (refusal) {
            return "it is a refusal";
        }
        if (finished) {
            return "its finish reason was sent";
        }
        return null;
    }

    /**
     * The attempt in progress broke on {@code from}; the next one continues it.
     *
     * @param usage what the broken attempt used (as it reported it, or estimated), or null
     */
    public void broke(String from, Usage usage) {
        earlier = UsageSum.of(earlier, usage);
        seams.add(new Resumed(from, pieces, null));
        seam = new Seam(text.toString());
        attemptChars = 0;
    }

    /** The continuation reached its first content on {@code to}. */
    public void continuedOn(String to) {
        Resumed last = seams.removeLast();
        seams.add(new Resumed(last.from(), last.piece(), to));
    }

    /** The closing usage chunk: the last attempt's usage plus every earlier one's; null when the last reported none. */
    public ChatChunk usage(ChatChunk reported) {
        if (reported == null || reported.usage() == null) {
            return reported;
        }
        return new ChatChunk(id == null ? reported.id() : id, reported.object(), created == null ? reported.created()
                : created, reported.model(), reported.choices(), total(reported.usage()), reported.systemFingerprint(),
                reported.extra());
    }

    /** {@code last} plus every broken attempt's usage. */
    public Usage total(Usage last) {
        return last == null ? null : UsageSum.of(earlier, last);
    }

    /** The text the client has so far. */
    public String text() {
        return text.toString();
    }

    /** The characters the attempt in progress added to the text. */
    public int attemptChars() {
        return attemptChars;
    }

    /** Pieces of content the client has so far. */
    public int pieces() {
        return pieces;
    }

    public List<Resumed> seams() {
        return List.copyOf(seams);
    }

    public boolean resumed() {
        return !seams.isEmpty();
    }

    private void note(ChatChunk chunk) {
        model = chunk.model() == null ? model : chunk.model();
        if (chunk.choices() == null) {
            return;
        }
        for (ChatChunk.Choice choice : chunk.choices()) {
            ChatChunk.Delta d = choice.delta();
            if (d != null) {
                if (d.content() != null && !d.content().isEmpty()) {
                    text.append(d.content());
                    attemptChars += d.content().length();
                    pieces++;
                }
                toolCalls |= d.toolCalls() != null && !d.toolCalls().isEmpty();
                refusal |= d.refusal() != null && !d.refusal().isEmpty();
            }
            finished |= choice.finishReason() != null;
        }
    }
}
