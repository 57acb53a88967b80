package dev.caravan.passthrough;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.BodyFields;

/**
 * The body a passed-through request is sent with: the client's own bytes, with only what the gateway must change
 * spliced in place. The model value is replaced by the target's model, Caravan's {@code caravan} routing object is
 * cut out, and a streamed Chat Completions request is made to report its usage ({@code stream_options.include_usage},
 * which metrics, cost and client budgets need). Everything else (field order, spacing, number forms, unknown fields)
 * is kept as received.
 *
 * <p>Why splice rather than edit a tree and write it again: a rewritten tree changes what no one asked to change
 * (number forms such as {@code 1.0}, escapes, key order of nested objects, whitespace the provider may hash for its
 * prompt cache), and writing costs a second pass over a body that may be megabytes long. The byte ranges to change
 * are where the request's one parse noted its top-level fields ({@link BodyFields}, Chat Completions); for a body
 * read without them, one streaming scan of the top-level fields finds them, nested values skipped, never materialised.
 */
public final class UpstreamBody {

    /** The routing options object Caravan reads and no provider knows. */
    static final String CARAVAN = "caravan";

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final byte[] INCLUDE_USAGE = "\"stream_options\":{\"include_usage\":true},"
            .getBytes(StandardCharsets.UTF_8);

    private UpstreamBody() {
    }

    /** A byte range replaced by {@code with}. */
    private record Edit(int start, int end, byte[] with) {
    }

    /**
     * The client's {@code body} for {@code model}.
     *
     * @param model       the target's model, or null where the model is not in the body (Gemini names it in the path)
     * @param askUsage    true for a streamed Chat Completions request: make sure it reports usage
     */
    /**
     * A target's upstream model with its JSON string, made once per target and held by it: the body's {@code model}
     * field is replaced by these bytes without a look-up per call.
     */
    public record Model(String name, byte[] quoted) {

        public static Model of(String name) {
            return new Model(name, quotedModel(name));
        }
    }

    public static byte[] of(byte[] body, String model, boolean askUsage, ObjectMapper json) {
        return of(body, null, model, askUsage, json);
    }

    /**
     * The client's {@code body} for {@code model}, its fields found where its reading noted them.
     *
     * @param fields where the body's top-level fields are; null, or noted on another array, has the body scanned
     */
    public static byte[] of(byte[] body, BodyFields fields, String model, boolean askUsage, ObjectMapper json) {
        return of(body, fields, model == null ? null : new Model(model, quotedModel(model)), askUsage, json);
    }

    /** As {@link #of(byte[], BodyFields, String, boolean, ObjectMapper)}, for a model quoted beforehand (null: kept). */
    public static byte[] of(byte[] body, BodyFields fields, Model model, boolean askUsage, ObjectMapper json) {
        if (fields == null || !fields.of(body)) {
            return scanned(body, model, askUsage, json);
        }
        List<Edit> edits = new ArrayList<>(2);
        boolean usageAsked = false;
        boolean kept = false;
        for (int i = 0; i < fields.count(); i++) {
            String name = fields.name(i);
            kept |= !name.equals(CARAVAN);
            if (name.equals(CARAVAN)) {
                edits.add(removal(body, fields.nameStart(i), fields.valueEnd(i)));
            } else if (name.equals("model") && model != null) {
                edits.add(new Edit(fields.valueStart(i), fields.valueEnd(i), model.quoted()));
            } else if (name.equals("stream_options") && askUsage) {
                usageAsked = true;
                Edit asked = usageAsked(json, body, fields.valueStart(i), fields.valueEnd(i));
                if (asked != null) {
                    edits.add(asked);
                }
            }
        }
        return spliced(body, edits, askUsage && !usageAsked, fields.open(), kept);
    }

    private static byte[] scanned(byte[] body, Model model, boolean askUsage, ObjectMapper json) {
        // only the fields to change are located (each location is an object), in the order of the body
        List<Edit> edits = new ArrayList<>(2);
        boolean usageAsked = false;
        boolean kept = false; // a field that stays
        int rootStart;
        try (JsonParser parser = FACTORY.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("the request body is not a JSON object");
            }
            rootStart = askUsage ? (int) parser.currentTokenLocation().getByteOffset() : -1;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                kept |= !name.equals(CARAVAN);
                if (name.equals(CARAVAN)) {
                    int nameStart = (int) parser.currentTokenLocation().getByteOffset();
                    parser.nextToken();
                    edits.add(removal(body, nameStart, valueEnd(parser)));
                } else if (name.equals("model") && model != null) {
                    parser.nextToken();
                    int valueStart = (int) parser.currentTokenLocation().getByteOffset();
                    edits.add(new Edit(valueStart, valueEnd(parser), model.quoted()));
                } else if (name.equals("stream_options") && askUsage) {
                    usageAsked = true;
                    parser.nextToken();
                    int valueStart = (int) parser.currentTokenLocation().getByteOffset();
                    Edit asked = usageAsked(json, body, valueStart, valueEnd(parser));
                    if (asked != null) {
                        edits.add(asked);
                    }
                } else {
                    parser.nextToken();
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the request body could not be scanned", e);
        }
        return spliced(body, edits, askUsage && !usageAsked, rootStart, kept);
    }

    /** The edit that makes {@code stream_options} (the value from {@code start} to {@code end}) ask for usage, or null. */
    private static Edit usageAsked(ObjectMapper json, byte[] body, int start, int end) {
        JsonNode options = tree(json, body, start, end);
        if (options.path("include_usage").asBoolean(false)) {
            return null;
        }
        ObjectNode asked = options instanceof ObjectNode o ? o : json.createObjectNode();
        return new Edit(start, end, bytes(json, asked.put("include_usage", true)));
    }

    /**
     * {@code body} with {@code edits} made (in body order), and {@code stream_options} asking for usage inserted
     * after the opening brace at {@code rootStart} when {@code insertUsage}; {@code kept} says whether a field stays.
     */
    private static byte[] spliced(byte[] body, List<Edit> edits, boolean insertUsage, int rootStart, boolean kept) {
        if (insertUsage) {
            // first, before a removal that may start at the same byte
            edits.addFirst(new Edit(rootStart + 1, rootStart + 1, kept ? INCLUDE_USAGE
                    : "\"stream_options\":{\"include_usage\":true}".getBytes(StandardCharsets.UTF_8)));
        }
        if (edits.isEmpty()) {
            return body;
        }
        int length = body.length;
        for (Edit edit : edits) {
            length += edit.with().length - (edit.end() - edit.start());
        }
        byte[] out = new byte[length];
        int copied = 0;
        int written = 0;
        for (Edit edit : edits) {
            System.arraycopy(body, copied, out, written, edit.start() - copied);
            written += edit.start() - copied;
            System.arraycopy(edit.with(), 0, out, written, edit.with().length);
            written += edit.with().length;
            copied = edit.end();
        }
        System.arraycopy(body, copied, out, written, body.length - copied);
        return out;
    }

    /** Where the value the parser is on ends (exclusive), the parser left on its last token. */
    private static int valueEnd(JsonParser parser) throws IOException {
        if (parser.currentToken().isStructStart()) {
            parser.skipChildren();
        } else {
            parser.finishToken();
        }
        return (int) parser.currentLocation().getByteOffset();
    }

    /**
     * The range that removes the field from {@code nameStart} to {@code valueEnd} with one of the commas around it,
     * leaving valid JSON: up to the next field's name, or, for the last field, from the end of the one before it
     * (its comma included) to the closing brace. Between a value and the next name there is only whitespace and one
     * comma, as the parser has checked.
     */
    private static Edit removal(byte[] body, int nameStart, int valueEnd) {
        int after = blanksFrom(body, valueEnd);
        if (body[after] == ',') {
            return new Edit(nameStart, blanksFrom(body, after + 1), new byte[0]);
        }
        int before = nameStart - 1;
        while (isBlank(body[before])) {
            before--;
        }
        if (body[before] == ',') {
            before--;
            while (isBlank(body[before])) {
                before--;
            }
            return new Edit(before + 1, after, new byte[0]);
        }
        return new Edit(nameStart, after, new byte[0]); // the only field
    }

    private static int blanksFrom(byte[] body, int at) {
        while (isBlank(body[at])) {
            at++;
        }
        return at;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    private static JsonNode tree(ObjectMapper json, byte[] body, int start, int end) {
        try {
            return json.readTree(body, start, end - start);
        } catch (IOException e) {
            throw new UncheckedIOException("a request field could not be read", e);
        }
    }

    private static byte[] bytes(ObjectMapper json, JsonNode node) {
        try {
            return json.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException("a request field could not be written", e);
        }
    }

    /** The most distinct models whose quoted form is remembered (a gateway's targets name a few). */
    private static final int QUOTED_MODELS = 1024;
    /** Each target's model as a JSON string, made once: only copied from, never changed. */
    private static final Map<String, byte[]> MODELS = new ConcurrentHashMap<>();

    private static byte[] quotedModel(String model) {
        byte[] known = MODELS.get(model);
        if (known != null) {
            return known;
        }
        byte[] quoted = quoted(model);
        if (MODELS.size() < QUOTED_MODELS) {
            MODELS.putIfAbsent(model, quoted);
        }
        return quoted;
    }

    private static byte[] quoted(String text) {
        byte[] escaped = JsonStringEncoder.getInstance().quoteAsUTF8(text);
        byte[] out = new byte[escaped.length + 2];
        out[0] = '"';
        System.arraycopy(escaped, 0, out, 1, escaped.length);
        out[out.length - 1] = '"';
        return out;
    }
}
