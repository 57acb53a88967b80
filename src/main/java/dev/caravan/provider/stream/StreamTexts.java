package dev.caravan.provider.stream;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.provider.SecretRedactor;

/**
 * The texts of one streamed answer, each held back where it may begin a provider's key
 * ({@link SecretRedactor.StreamText}): one per choice and field, the message's text, a refusal, reasoning, and each
 * tool call's arguments (streamed a few characters an event, so a key written there is cut into pieces too short to
 * find alone). A field's held end is released when the field ends: its choice goes on with another field or
 * finishes, or the answer ends.
 */
public final class StreamTexts {

    /**
     * One text of the answer.
     *
     * @param choice the choice's index
     * @param name   {@code content}, {@code refusal}, {@code arguments}, a reasoning field
     *               ({@code reasoning_content}), or, passed through, the protocol's own event type
     * @param tool   the tool call's index, for arguments; the item's, passed through; else 0
     */
    public record Field(int choice, String name, int tool) {
    }

    public static final String CONTENT = "content";
    public static final String REFUSAL = "refusal";
    public static final String ARGUMENTS = "arguments";
    /** The delta fields that carry reasoning text, as the decoders and OpenAI-compatible providers write it. */
    public static final Set<String> REASONING = Set.of("reasoning_content", "reasoning");

    private final SecretRedactor redactor;
    /** In the order the fields came; few per answer. */
    private final Map<Field, SecretRedactor.StreamText> texts = new LinkedHashMap<>(4);
    /** The first field's, for a look without an iterator. */
    private SecretRedactor.StreamText first;

    public StreamTexts(SecretRedactor redactor) {
        this.redactor = redactor;
    }

    /** What of the field's next piece of text may pass now; see {@link SecretRedactor.StreamText#pass}. */
    public String pass(Field field, String text) {
        SecretRedactor.StreamText held = texts.get(field);
        if (held == null) {
            held = redactor.streamText();
            texts.put(field, held);
            if (first == null) {
                first = held;
            }
        }
        return held.pass(text);
    }

    /**
     * The field's text goes on after {@code sent}, which the client has already; see
     * {@link SecretRedactor.StreamText#follows}.
     */
    public void follows(Field field, String sent) {
        SecretRedactor.StreamText text = redactor.streamText();
        text.follows(sent);
        texts.put(field, text);
        if (first == null) {
            first = text;
        }
    }

    public boolean holding(Field field) {
        SecretRedactor.StreamText text = texts.get(field);
        return text != null && text.holding();
    }

    /** Whether any field holds text back. */
    public boolean holding() {
        if (texts.size() <= 1) {
            return first != null && first.holding(); // a stream of one text, as nearly every one: no iterator
        }
        for (SecretRedactor.StreamText text : texts.values()) {
            if (text.holding()) {
                return true;
            }
        }
        return false;
    }

    /** What the field holds, let pass because its text ended; see {@link SecretRedactor.StreamText#release}. */
    public String release(Field field) {
        SecretRedactor.StreamText text = texts.get(field);
        return text == null ? "" : text.release();
    }

    /**
     * The fields holding text that end here: those of {@code choice} (every choice's when negative) other than
     * {@code present}.
     */
    public List<Field> ending(int choice, Collection<Field> present) {
        List<Field> ended = null;
        for (Map.Entry<Field, SecretRedactor.StreamText> text : texts.entrySet()) {
            Field field = text.getKey();
            if (text.getValue().holding() && (choice < 0 || field.choice() == choice) && !present.contains(field)) {
                if (ended == null) {
                    ended = new ArrayList<>(2);
                }
                ended.add(field);
            }
        }
        return ended == null ? List.of() : ended;
    }

    /** The choice's index, 0 when the chunk gives none. */
    public static int index(ChatChunk.Choice choice) {
        return choice.index() == null ? 0 : choice.index();
    }

    /** The message text's field of the first choice, nearly every text streamed. */
    private static final Field FIRST_CONTENT = new Field(0, CONTENT, 0);

    /** The field of the choice's one text when its delta is the message's text alone, as nearly every one is. */
    public static Field contentOnly(ChatChunk.Choice choice) {
        ChatChunk.Delta delta = choice.delta();
        if (delta == null || delta.content() == null || delta.content().isEmpty() || delta.refusal() != null
                || delta.toolCalls() != null || !delta.extra().isEmpty()) {
            return null;
        }
        int index = index(choice);
        return index == 0 ? FIRST_CONTENT : new Field(index, CONTENT, 0);
    }

    /**
     * The texts a choice's delta adds, by field, in their order; with {@code arguments}, each tool call's argument
     * fragment too.
     */
    public static Map<Field, String> texts(ChatChunk.Choice choice, boolean arguments) {
        ChatChunk.Delta delta = choice.delta();
        if (delta == null) {
            return Map.of();
        }
        int index = index(choice);
        if (delta.refusal() == null && delta.toolCalls() == null && delta.extra().isEmpty()) {
            return delta.content() == null || delta.content().isEmpty() ? Map.of()
                    : Map.of(index == 0 ? FIRST_CONTENT : new Field(index, CONTENT, 0), delta.content());
        }
        Map<Field, String> into = new LinkedHashMap<>(4);
        add(into, new Field(index, CONTENT, 0), delta.content());
        add(into, new Field(index, REFUSAL, 0), delta.refusal());
        for (Map.Entry<String, JsonNode> extra : delta.extra().entrySet()) {
            if (REASONING.contains(extra.getKey()) && extra.getValue().isTextual()) {
                add(into, new Field(index, extra.getKey(), 0), extra.getValue().textValue());
            }
        }
        if (arguments && delta.toolCalls() != null) {
            int position = 0;
            for (JsonNode call : delta.toolCalls()) {
                JsonNode fragment = call.path("function").path("arguments");
                if (fragment.isTextual()) {
                    int tool = call.path("index").canConvertToInt() ? call.get("index").asInt() : position;
                    add(into, new Field(index, ARGUMENTS, tool), fragment.textValue());
                }
                position++;
            }
        }
        return into;
    }

    /** Whether the choice's delta adds anything to the answer or finishes it: what ends another field's text. */
    public static boolean tells(ChatChunk.Choice choice) {
        ChatChunk.Delta d = choice.delta();
        return choice.finishReason() != null || d != null && (d.content() != null && !d.content().isEmpty()
                || d.refusal() != null || d.toolCalls() != null || !d.extra().isEmpty());
    }

    private static void add(Map<Field, String> into, Field field, String text) {
        if (text != null && !text.isEmpty()) {
            into.merge(field, text, String::concat);
        }
    }
}
