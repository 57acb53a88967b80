package dev.caravan.chat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;

/**
 * The OpenAI Chat Completions request schema ({@code schema/chat-completions-request.schema.json}), compiled once,
 * and its verdict on a request in plain words: the first problem found, named by its field path
 * ({@code messages[1].content}) and the rule the schema's {@code description} states for that field.
 */
public final class RequestSchema {

    static final String RESOURCE = "/schema/chat-completions-request.schema.json";

    private final JsonNode document;
    private final Schema schema;
    private final PlainRequests plain;

    public RequestSchema(ObjectMapper json) {
        try (InputStream in = RequestSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            document = json.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(document);
        plain = new PlainRequests(document);
    }

    /**
     * The first problem with {@code request}, or null when it follows the schema.
     *
     * @param notNumbers the paths of values the caller wrote as NaN or Infinity (already replaced by strings),
     *                   so that the message can say what they were
     */
    public InvalidRequest check(JsonNode request, Map<String, String> notNumbers) {
        if (plain.admits(request)) {
            return null; // most requests: the validator would find nothing, at a few KB of bookkeeping
        }
        List<Error> errors = schema.validate(request);
        if (errors.isEmpty()) {
            return null;
        }
        // a missing model or messages first: nothing else matters until they are there
        Error first = errors.stream()
                .min(Comparator.comparingInt(e -> e.getInstanceLocation().getNameCount() == 0
                        && "required".equals(e.getKeyword()) ? 0 : 1))
                .orElseThrow();
        return describe(first, notNumbers);
    }

    private InvalidRequest describe(Error error, Map<String, String> notNumbers) {
        String at = path(error.getInstanceLocation());
        String fragment = error.getSchemaLocation().getFragment().toString();
        String rule = fragment.substring(0, fragment.lastIndexOf('/')); // the schema holding the failed keyword
        if ("required".equals(error.getKeyword())) {
            String missing = at.isEmpty() ? error.getProperty() : at + "." + error.getProperty();
            String property = property(rule, error.getProperty());
            String description = property == null ? null : description(property);
            return InvalidRequest.badRequest(missing, "Missing required parameter: '" + missing + "'"
                    + (description == null ? "." : "; it " + description + "."));
        }
        String description = description(rule);
        if (error.getInstanceNode() != null && error.getInstanceNode().isNull() && required(rule)) {
            return InvalidRequest.badRequest(at, "Missing required parameter: '" + at + "'"
                    + (description == null ? "." : "; it " + description + ", not null."));
        }
        String found = notNumbers.get(at);
        String what = found != null ? found + " is not a number" : "it was " + shown(error.getInstanceNode());
        return InvalidRequest.badRequest(at.isEmpty() ? null : at, "'" + at + "' "
                + (description == null ? "is not valid here" : description) + "; " + what + ".");
    }

    /** The plain-words rule of the schema at {@code pointer}, looking through the conditions it sits in. */
    private String description(String pointer) {
        while (pointer != null) {
            JsonNode node = document.at(pointer);
            if (node.hasNonNull("$ref")) {
                pointer = node.get("$ref").asText().substring(1);
            } else if (node.hasNonNull("description")) {
                return node.get("description").asText();
            } else {
                pointer = enclosing(pointer);
            }
        }
        return null;
    }

    /** The schema of property {@code name} of the object schema at {@code pointer} or of the schema it refines. */
    private String property(String pointer, String name) {
        while (pointer != null) {
            JsonNode node = document.at(pointer);
            if (node.hasNonNull("$ref")) {
                pointer = node.get("$ref").asText().substring(1);
            } else if (node.path("properties").has(name)) {
                return pointer + "/properties/" + name.replace("~", "~0").replace("/", "~1");
            } else {
                pointer = enclosing(pointer);
            }
        }
        return null;
    }

    /** Whether the schema at {@code pointer} is that of a property its object requires. */
    private boolean required(String pointer) {
        int slash = pointer.lastIndexOf('/');
        String object = pointer.substring(0, Math.max(0, slash));
        if (slash < 0 || !object.endsWith("/properties")) {
            return false;
        }
        String name = pointer.substring(slash + 1).replace("~1", "/").replace("~0", "~");
        for (JsonNode required : document.at(object.substring(0, object.length() - "/properties".length()))
                .path("required")) {
            if (required.asText().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Out of an {@code if/then/else} or {@code allOf} branch to the schema it belongs to, or null. */
    private static String enclosing(String pointer) {
        int slash = pointer.lastIndexOf('/');
        if (slash < 0) {
            return null;
        }
        String parent = pointer.substring(0, slash);
        String last = pointer.substring(slash + 1);
        if (last.equals("then") || last.equals("else")) {
            return parent;
        }
        if (!last.isEmpty() && last.chars().allMatch(Character::isDigit) && parent.endsWith("/allOf")) {
            return parent.substring(0, parent.lastIndexOf('/'));
        }
        return null;
    }

    /** {@code /messages/0/content} as {@code messages[0].content}. */
    static String path(NodePath location) {
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (element instanceof Integer index) {
                path.append('[').append(index).append(']');
            } else {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(element);
            }
        }
        return path.toString();
    }

    /** What the caller sent, in words; short values as they were, never a long text. */
    static String shown(JsonNode value) {
        if (value == null || value.isMissingNode() || value.isNull()) {
            return "null";
        }
        if (value.isTextual()) {
            String text = value.asText();
            return text.length() <= 40 && text.chars().noneMatch(Character::isISOControl)
                    ? "the string '" + text + "'" : "a string of " + text.length() + " characters";
        }
        if (value.isNumber() || value.isBoolean()) {
            return value.toString();
        }
        return value.isArray() ? "an array" : "an object";
    }
}
