package dev.caravan.chat;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * Reads a request body into a JSON tree under limits (nesting depth, string and number length, one value per key),
 * and says what is wrong with a body that breaks them in plain words: where it is, never the parser's hints or
 * source dumps.
 */
public final class JsonBodies {

    /** Jackson's own hints and source descriptions, which mean nothing to a caller. */
    private static final Pattern HINTS = Pattern.compile(
            "\\s*\\((?:start marker at )?\\[Source:[^\\]]*\\][^)]*\\)"   // (start marker at [Source: ...; line: 1])
                    + "|\\s*\\[Source:[^\\]]*\\]"                         // [Source: ...]
                    + "|:?\\s*(?:enable|maybe a \\(non-standard\\)|\\(not recognized|\\(for )[^\\n]*"); // how to relax

    private JsonBodies() {
    }

    /**
     * A mapper reading like {@code base}, within these limits, refusing duplicate keys and reading NaN as numbers.
     * Its buffers come from {@code base}'s pool: a factory builder starts from Jackson's per-thread pool, which hands
     * every request on its fresh virtual thread new buffers.
     */
    public static ObjectMapper strict(ObjectMapper base, int maxDepth, long maxBodyBytes) {
        JsonFactory factory = new JsonFactoryBuilder(base.getFactory())
                .recyclerPool(base.getFactory()._getRecyclerPool())
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(maxDepth)
                        // no string can be longer than the body: the body limit is the one that speaks
                        .maxStringLength((int) Math.min(Integer.MAX_VALUE, Math.max(maxBodyBytes,
                                StreamReadConstraints.DEFAULT_MAX_STRING_LEN)))
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                // read so that the schema can name the field; refused after it by replaceNonFinite
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .build();
        return base.copyWith(factory);
    }

    /** The body as a tree, or null when it holds no value at all. */
    public static JsonNode parse(ObjectMapper mapper, byte[] body, int maxDepth) {
        return parse(mapper, body, maxDepth, null);
    }

    /** The body as a tree, or null when it holds no value at all; its top-level fields noted in {@code fields}. */
    public static JsonNode parse(ObjectMapper mapper, byte[] body, int maxDepth, BodyFields fields) {
        JsonParser parser;
        try {
            JsonParser read = mapper.createParser(body);
            parser = fields == null ? read : fields.noting(read, body);
        } catch (IOException e) {
            throw InvalidRequest.badRequest(null, "The request body could not be read.");
        }
        try (parser) {
            JsonNode tree = mapper.readTree(parser);
            if (tree != null && parser.nextToken() != null) {
                throw InvalidRequest.badRequest(null, "The request body is not valid JSON: more follows the end of "
                        + "the request object" + at(parser.currentTokenLocation()) + ".");
            }
            return tree;
        } catch (StreamConstraintsException e) {
            throw beyondLimit(e, parser, maxDepth);
        } catch (JsonParseException e) {
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Duplicate field")) {
                JsonStreamContext object = parser.getParsingContext();
                String within = path(object.getParent());
                throw InvalidRequest.badRequest(path(object), "The request body has the key '"
                        + object.getCurrentName() + "' twice" + (within.isEmpty() ? "" : " in '" + within + "'")
                        + "; send each key once.");
            }
            JsonLocation location = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
            throw InvalidRequest.badRequest(null, "The request body is not valid JSON: " + plain(message)
                    + at(location) + ".");
        } catch (IOException e) {
            throw InvalidRequest.badRequest(null, "The request body could not be read.");
        }
    }

    private static InvalidRequest beyondLimit(StreamConstraintsException e, JsonParser parser, int maxDepth) {
        String message = String.valueOf(e.getMessage());
        String where = path(parser.getParsingContext());
        if (message.contains("NestingDepth")) {
            String top = where.split("[.\\[]", 2)[0];
            return InvalidRequest.badRequest(top.isEmpty() ? null : top, "The request body nests JSON objects and "
                    + "arrays more than " + maxDepth + " levels deep" + (top.isEmpty() ? "" : " (in '" + top + "')")
                    + ".");
        }
        if (message.contains("NumberLength")) {
            return InvalidRequest.badRequest(where.isEmpty() ? null : where, "'" + where + "' is a number of more than "
                    + StreamReadConstraints.DEFAULT_MAX_NUM_LEN + " digits.");
        }
        if (message.contains("NameLength")) {
            return InvalidRequest.badRequest(null, "A key in the request body is longer than "
                    + StreamReadConstraints.DEFAULT_MAX_NAME_LEN + " characters.");
        }
        return InvalidRequest.badRequest(where.isEmpty() ? null : where, "The request body is too large to read"
                + (where.isEmpty() ? "" : " at '" + where + "'") + ".");
    }

    /**
     * Replaces every NaN or infinite number by a string saying what it was, so that the schema check names its
     * field; returns the paths replaced, in document order.
     */
    static Map<String, String> replaceNonFinite(JsonNode tree) {
        Map<String, String> replaced = new LinkedHashMap<>(0);
        replace(tree, null, replaced);
        return replaced;
    }

    /** Where a value sits, spelled out only for one that is replaced: most bodies have none. */
    private record At(At parent, String key, int index) {

        String path() {
            String head = parent == null ? "" : parent.path();
            return key == null ? head + "[" + index + "]" : head.isEmpty() ? key : head + "." + key;
        }
    }

    private static void replace(JsonNode node, At at, Map<String, String> replaced) {
        if (node instanceof ObjectNode object) {
            for (var field : object.properties()) {
                String token = nonFinite(field.getValue());
                if (token != null) {
                    field.setValue(TextNode.valueOf(token));
                    replaced.put(new At(at, field.getKey(), -1).path(), token);
                } else if (field.getValue().isContainerNode()) {
                    replace(field.getValue(), new At(at, field.getKey(), -1), replaced);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                String token = nonFinite(array.get(i));
                if (token != null) {
                    array.set(i, TextNode.valueOf(token));
                    replaced.put(new At(at, null, i).path(), token);
                } else if (array.get(i).isContainerNode()) {
                    replace(array.get(i), new At(at, null, i), replaced);
                }
            }
        }
    }

    private static String nonFinite(JsonNode value) {
        if (!value.isFloatingPointNumber() || value.isBigDecimal()) {
            return null;
        }
        double d = value.doubleValue();
        return Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : null;
    }

    /** Where the parser stands, as {@code messages[0].content}. */
    static String path(JsonStreamContext context) {
        StringBuilder path = new StringBuilder();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                path.insert(0, "[" + Math.max(0, c.getCurrentIndex()) + "]"
                        + (path.isEmpty() || path.charAt(0) == '[' ? "" : "."));
            } else if (c.getCurrentName() != null) {
                path.insert(0, c.getCurrentName() + (path.isEmpty() || path.charAt(0) == '[' ? "" : "."));
            }
        }
        return path.toString();
    }

    static String plain(String message) {
        if (message == null) {
            return "it could not be parsed";
        }
        String plain = HINTS.matcher(message.lines().findFirst().orElse("")).replaceAll("").strip();
        return plain.isEmpty() ? "it could not be parsed" : plain;
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? ""
                : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }
}
