package dev.caravan.passthrough;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The body a passed-through request is sent with: the client's own bytes, with only what the gateway must change
 * spliced in place. The model value is replaced by the target's model, Caravan's {@code caravan} routing object is
 * cut out, and a streamed Chat Completions request is made to report its usage ({@code stream_options.include_usage},
 * which metrics, cost and client budgets need). Everything else (field order, spacing, number forms, unknown fields)
 * is kept as received.
 *
 * <p>Why splice rather than edit a tree and write it again: a rewritten tree changes what no one asked to change
 * (number forms such as {@code 1.0}, escapes, key order of nested objects, whitespace the provider may hash for its
 * prompt cache), and writing costs a second pass over a body that may be megabytes long. One streaming scan of the
 * top-level fields finds the byte ranges to change; nested values are skipped, never materialised.
 */
public final class UpstreamBody {

    /** The routing options object Caravan reads and no provider knows. */
    static final String CARAVAN = "caravan";

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final byte[] INCLUDE_USAGE = "\"stream_options\":{\"include_usage\":true},"
            .getBytes(StandardCharsets.UTF_8);

    private UpstreamBody() {
    }

    /** One top-level field: where its name starts, and where its value starts and ends (exclusive). */
    private record Field(String name, int nameStart, int valueStart, int valueEnd, JsonToken value) {
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
    public static byte[] of(byte[] body, String model, boolean askUsage, ObjectMapper json) {
        List<Field> fields = new ArrayList<>();
        int rootStart;
        int rootEnd;
        try (JsonParser parser = FACTORY.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("the request body is not a JSON object");
            }
            rootStart = (int) parser.currentTokenLocation().getByteOffset();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                int nameStart = (int) parser.currentTokenLocation().getByteOffset();
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                int valueStart = (int) parser.currentTokenLocation().getByteOffset();
                if (value.isStructStart()) {
                    parser.skipChildren();
                } else {
                    parser.finishToken();
                }
                fields.add(new Field(name, nameStart, valueStart, (int) parser.currentLocation().getByteOffset(),
                        value));
            }
            rootEnd = (int) parser.currentTokenLocation().getByteOffset();
        } catch (IOException e) {
            throw new UncheckedIOException("the request body could not be scanned", e);
        }
        List<Edit> edits = new ArrayList<>();
        boolean usageAsked = false;
        for (int i = 0; i < fields.size(); i++) {
            Field field = fields.get(i);
            switch (field.name()) {
                case "model" -> {
                    if (model != null) {
                        edits.add(new Edit(field.valueStart(), field.valueEnd(), quoted(model)));
                    }
                }
                case CARAVAN -> edits.add(removal(body, fields, i, rootEnd));
                case "stream_options" -> {
                    if (askUsage) {
                        usageAsked = true;
                        JsonNode options = tree(json, body, field);
                        if (!options.path("include_usage").asBoolean(false)) {
                            ObjectNode asked = options instanceof ObjectNode o ? o : json.createObjectNode();
                            edits.add(new Edit(field.valueStart(), field.valueEnd(), bytes(json,
                                    asked.put("include_usage", true))));
                        }
                    }
                }
                default -> {
                }
            }
        }
        if (askUsage && !usageAsked) {
            edits.add(new Edit(rootStart + 1, rootStart + 1, fields.isEmpty()
                    ? "\"stream_options\":{\"include_usage\":true}".getBytes(StandardCharsets.UTF_8) : INCLUDE_USAGE));
        }
        if (edits.isEmpty()) {
            return body;
        }
        edits.sort(Comparator.comparingInt(Edit::start));
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 64);
        int copied = 0;
        for (Edit edit : edits) {
            out.write(body, copied, edit.start() - copied);
            out.writeBytes(edit.with());
            copied = edit.end();
        }
        out.write(body, copied, body.length - copied);
        return out.toByteArray();
    }

    /** The range that removes field {@code i} with one of the commas around it, leaving valid JSON. */
    private static Edit removal(byte[] body, List<Field> fields, int i, int rootEnd) {
        Field field = fields.get(i);
        if (i + 1 < fields.size()) {
            return new Edit(field.nameStart(), fields.get(i + 1).nameStart(), new byte[0]);
        }
        if (i > 0) {
            // the last field: from the end of the one before it (its comma included) to the closing brace
            return new Edit(fields.get(i - 1).valueEnd(), rootEnd, new byte[0]);
        }
        return new Edit(field.nameStart(), rootEnd, new byte[0]);
    }

    private static JsonNode tree(ObjectMapper json, byte[] body, Field field) {
        try {
            return json.readTree(body, field.valueStart(), field.valueEnd() - field.valueStart());
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

    private static byte[] quoted(String text) {
        byte[] escaped = JsonStringEncoder.getInstance().quoteAsUTF8(text);
        byte[] out = new byte[escaped.length + 2];
        out[0] = '"';
        System.arraycopy(escaped, 0, out, 1, escaped.length);
        out[out.length - 1] = '"';
        return out;
    }
}
