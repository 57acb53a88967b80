package dev.caravan.chat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Chat requests for testing the gateway's input checks: valid ones using every documented field, and bad ones
 * generated from the request schema by changing one value of a valid request at a time (a wrong type, a value out
 * of range or outside its enumeration, a blank string, an empty list, null, a missing required field, the value
 * wrapped in an array or object). A change is kept only when the schema's own rule at that spot rules it out, so
 * every case is bad by construction, whatever the rest of the request holds.
 */
public final class RequestCases {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One bad request: what was changed, the body, and the field path its rejection must name. */
    public record Bad(String why, String body, String field) {
        @Override
        public String toString() {
            return why;
        }
    }

    /** One valid request and what it shows. */
    public record Good(String why, String body) {
        @Override
        public String toString() {
            return why;
        }
    }

    private RequestCases() {
    }

    /** Valid requests: every documented field, multi-part content, tools and tool results, nulls, extra fields. */
    public static List<Good> valid() {
        return List.of(
                new Good("every documented field", EVERY_FIELD),
                new Good("streamed, with stream options", STREAMED),
                new Good("a plain question", "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                new Good("optional fields null", """
                        {"model":"fast","messages":[{"role":"user","content":"hi","name":null}],"temperature":null,
                         "top_p":null,"n":null,"stop":null,"max_tokens":null,"max_completion_tokens":null,"seed":null,
                         "presence_penalty":null,"frequency_penalty":null,"logprobs":null,"top_logprobs":null,
                         "user":null,"tools":null,"tool_choice":null,"response_format":null,"stream":null,
                         "stream_options":null,"logit_bias":null,"metadata":null,"store":null}"""),
                new Good("bounds of every range", """
                        {"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":2,"top_p":0,
                         "n":1,"presence_penalty":-2,"frequency_penalty":2,"max_tokens":1,"top_logprobs":20,
                         "logprobs":true,"logit_bias":{"1":-100,"2":100},"seed":-9007199254740991}"""),
                new Good("whole numbers written as 1.0", """
                        {"model":"fast","messages":[{"role":"user","content":"hi"}],"max_tokens":16.0,"n":1.0}"""),
                new Good("unknown fields pass through, at the top and inside", """
                        {"model":"fast","messages":[{"role":"user","content":[{"type":"text","text":"hi",
                         "cache_control":{"type":"ephemeral"}}],"x_note":1}],"top_k":40,"repetition_penalty":1.1,
                         "provider_specific":{"anything":[1,"two",null]}}"""),
                new Good("an assistant turn with only tool calls, then the results", """
                        {"model":"fast","messages":[{"role":"user","content":"weather in Oslo and Rome?"},
                         {"role":"assistant","tool_calls":[
                          {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Oslo\\"}"}},
                          {"id":"call_2","function":{"name":"weather","arguments":"{}"}}]},
                         {"role":"tool","tool_call_id":"call_1","content":"4 C"},
                         {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"19 C"}]}],
                         "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object",
                          "properties":{"city":{"type":"string"}},"required":["city"]}}}],
                         "tool_choice":"auto","parallel_tool_calls":true}"""),
                new Good("tool choice naming a function, stop as one string", """
                        {"model":"fast","messages":[{"role":"system","content":"be brief"},
                         {"role":"developer","content":[{"type":"text","text":"really"}]},
                         {"role":"user","content":"x"}],"stop":"END",
                         "tools":[{"type":"function","function":{"name":"f"}}],
                         "tool_choice":{"type":"function","function":{"name":"f"}}}"""),
                new Good("JSON mode and a legacy function result", """
                        {"model":"fast","response_format":{"type":"json_object"},"messages":[
                         {"role":"user","content":"x"},{"role":"assistant","content":null,
                          "function_call":{"name":"f","arguments":"{}"}},
                         {"role":"function","name":"f","content":"1"}],
                         "functions":[{"name":"f","parameters":{"type":"object"}}],"function_call":"auto"}"""));
    }

    /** The bad requests generated from the schema, starting from the valid requests above. */
    public static List<Bad> invalid() {
        return invalidFrom(EVERY_FIELD, STREAMED, TOOL_RESULTS);
    }

    /** The bad requests generated from the schema, starting from the given valid requests. */
    public static List<Bad> invalidFrom(String... bases) {
        JsonNode schema = schema();
        List<Bad> cases = new ArrayList<>();
        for (String base : bases) {
            ObjectNode request = (ObjectNode) read(base);
            new Generator(schema, request, cases).visit(request, "", List.of(schema));
        }
        return cases;
    }

    /**
     * One bad request per field shape and kind of change: {@code messages[0].content} and {@code messages[2].content}
     * broken the same way count once.
     */
    public static List<Bad> invalidDistinct() {
        Set<String> seen = new LinkedHashSet<>();
        return invalid().stream()
                .filter(bad -> seen.add(bad.why().replaceAll("\\[\\d+]", "[]")))
                .toList();
    }

    static final String EVERY_FIELD = """
            {
              "model": "fast",
              "messages": [
                {"role": "system", "content": "Be brief.", "name": "rules"},
                {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
                {"role": "user", "name": "alice", "content": [
                  {"type": "text", "text": "What is on this picture and in this file?"},
                  {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
                  {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                  {"type": "file", "file": {"file_id": "file-1", "filename": "a.pdf"}}]},
                {"role": "assistant", "content": "Let me look.", "refusal": null,
                 "tool_calls": [{"id": "call_1", "type": "function",
                                 "function": {"name": "lookup", "arguments": "{\\"q\\":\\"cat\\"}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "a cat"}
              ],
              "stream": false,
              "max_tokens": 64,
              "max_completion_tokens": 64,
              "temperature": 0.7,
              "top_p": 0.9,
              "n": 1,
              "presence_penalty": 0.5,
              "frequency_penalty": -0.5,
              "logprobs": true,
              "top_logprobs": 2,
              "logit_bias": {"50256": -100},
              "seed": 42,
              "user": "user-1234",
              "safety_identifier": "hash-1",
              "prompt_cache_key": "key-1",
              "service_tier": "auto",
              "reasoning_effort": "low",
              "verbosity": "low",
              "store": false,
              "parallel_tool_calls": true,
              "metadata": {"team": "search"},
              "modalities": ["text"],
              "prediction": {"type": "content", "content": "A cat."},
              "web_search_options": {},
              "stop": ["END", "STOP"],
              "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
                                  "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}},
              "tools": [{"type": "function", "function": {"name": "lookup", "description": "Looks up a word.",
                         "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}, "strict": false}}],
              "tool_choice": {"type": "function", "function": {"name": "lookup"}}
            }
            """;

    static final String STREAMED = """
            {"model": "fast", "stream": true, "stream_options": {"include_usage": true},
             "messages": [{"role": "user", "content": "hi"}], "tool_choice": "auto"}
            """;

    static final String TOOL_RESULTS = """
            {"model": "fast", "messages": [{"role": "user", "content": "x"},
              {"role": "assistant", "content": null, "function_call": {"name": "f", "arguments": "{}"}},
              {"role": "function", "name": "f", "content": "1"}],
             "functions": [{"name": "f", "parameters": {"type": "object"}}], "function_call": {"name": "f"}}
            """;

    /** Walks a valid request alongside the schema parts that apply to each value. */
    private record Generator(JsonNode schema, ObjectNode root, List<Bad> cases) {

        void visit(JsonNode value, String path, List<JsonNode> schemas) {
            List<JsonNode> applying = applying(schemas, value);
            if (value.isObject()) {
                Set<String> required = new LinkedHashSet<>();
                applying.forEach(s -> s.path("required").forEach(r -> required.add(r.asText())));
                for (String name : required) {
                    if (value.has(name)) {
                        JsonNode kept = ((ObjectNode) value).remove(name);
                        add("missing " + join(path, name), join(path, name));
                        ((ObjectNode) value).set(name, kept);
                    }
                }
                for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
                    String name = names.next();
                    List<JsonNode> child = new ArrayList<>();
                    for (JsonNode s : applying) {
                        JsonNode property = s.path("properties").path(name);
                        if (property.isMissingNode() && s.path("additionalProperties").isObject()) {
                            property = s.get("additionalProperties");
                        }
                        if (!property.isMissingNode()) {
                            child.add(resolve(property));
                        }
                    }
                    if (!child.isEmpty()) {
                        mutate((ObjectNode) value, name, join(path, name), child);
                        visit(value.get(name), join(path, name), child);
                    }
                }
            } else if (value.isArray()) {
                List<JsonNode> items = applying.stream().filter(s -> s.has("items"))
                        .map(s -> resolve(s.get("items"))).toList();
                if (!items.isEmpty()) {
                    for (int i = 0; i < value.size(); i++) {
                        mutate((ArrayNode) value, i, path + "[" + i + "]", items);
                        visit(value.get(i), path + "[" + i + "]", items);
                    }
                }
            }
        }

        private void mutate(ObjectNode parent, String name, String path, List<JsonNode> schemas) {
            JsonNode original = parent.get(name);
            for (Map.Entry<String, JsonNode> change : changes(original, schemas)) {
                parent.set(name, change.getValue());
                add(path + ": " + change.getKey(), path);
            }
            parent.set(name, original);
        }

        private void mutate(ArrayNode parent, int index, String path, List<JsonNode> schemas) {
            JsonNode original = parent.get(index);
            for (Map.Entry<String, JsonNode> change : changes(original, schemas)) {
                parent.set(index, change.getValue());
                add(path + ": " + change.getKey(), path);
            }
            parent.set(index, original);
        }

        private void add(String why, String field) {
            cases.add(new Bad(why, root.toString(), field));
        }

        /** The changes of a value that break a rule the schema states at its own spot. */
        private List<Map.Entry<String, JsonNode>> changes(JsonNode original, List<JsonNode> schemas) {
            List<Map.Entry<String, JsonNode>> candidates = new ArrayList<>(List.of(
                    Map.entry("a string", NODES.textNode("x")),
                    Map.entry("a fraction", NODES.numberNode(1.5)),
                    Map.entry("a whole number", NODES.numberNode(7)),
                    Map.entry("a boolean", NODES.booleanNode(true)),
                    Map.entry("an object", NODES.objectNode().put("k", 1)),
                    Map.entry("an array", NODES.arrayNode().add(1)),
                    Map.entry("null", NODES.nullNode()),
                    Map.entry("a blank string", NODES.textNode("  ")),
                    Map.entry("an empty array", NODES.arrayNode()),
                    Map.entry("a value outside the enumeration", NODES.textNode("not-a-known-value")),
                    Map.entry("nested in an array", NODES.arrayNode().add(original.deepCopy())),
                    Map.entry("nested in an object", NODES.objectNode().set("value", original.deepCopy()))));
            for (JsonNode s : schemas) {
                if (s.has("minimum")) {
                    candidates.add(Map.entry("below the minimum", below(s.get("minimum"), s)));
                }
                if (s.has("maximum")) {
                    candidates.add(Map.entry("above the maximum", above(s.get("maximum"), s)));
                }
            }
            List<Map.Entry<String, JsonNode>> breaking = new ArrayList<>();
            Set<String> seen = new LinkedHashSet<>();
            for (Map.Entry<String, JsonNode> c : candidates) {
                if (!c.getValue().equals(original) && breaks(c.getValue(), schemas) && seen.add(c.getValue().toString())) {
                    breaking.add(c);
                }
            }
            return breaking;
        }

        private static JsonNode below(JsonNode minimum, JsonNode s) {
            return integerOnly(s) ? NODES.numberNode(minimum.asLong() - 1) : NODES.numberNode(minimum.asDouble() - 0.5);
        }

        private static JsonNode above(JsonNode maximum, JsonNode s) {
            return integerOnly(s) ? NODES.numberNode(maximum.asLong() + 1) : NODES.numberNode(maximum.asDouble() + 0.5);
        }

        private static boolean integerOnly(JsonNode s) {
            return types(s).contains("integer") && !types(s).contains("number");
        }

        /** Whether {@code value} breaks a rule stated at this spot (type, enumeration, range, pattern, size). */
        private boolean breaks(JsonNode value, List<JsonNode> schemas) {
            for (JsonNode s : applying(schemas, value)) {
                Set<String> types = types(s);
                if (!types.isEmpty() && !types.contains(typeOf(value))
                        && !(typeOf(value).equals("integer") && types.contains("number"))
                        && !(typeOf(value).equals("number") && types.contains("integer") && isWhole(value))) {
                    return true;
                }
                if (s.has("enum") && !contains(s.get("enum"), value)) {
                    return true;
                }
                if (s.has("const") && !s.get("const").equals(value)) {
                    return true;
                }
                if (value.isNumber() && s.has("minimum") && value.asDouble() < s.get("minimum").asDouble()) {
                    return true;
                }
                if (value.isNumber() && s.has("maximum") && value.asDouble() > s.get("maximum").asDouble()) {
                    return true;
                }
                if (value.isTextual() && s.has("pattern") && !java.util.regex.Pattern.compile(s.get("pattern").asText())
                        .matcher(value.asText()).find()) {
                    return true;
                }
                if (value.isArray() && s.has("minItems") && value.size() < s.get("minItems").asInt()) {
                    return true;
                }
            }
            return false;
        }

        /** The schemas among {@code schemas} and their conditional parts that apply to {@code value}. */
        private List<JsonNode> applying(List<JsonNode> schemas, JsonNode value) {
            List<JsonNode> applying = new ArrayList<>();
            for (JsonNode s : schemas) {
                expand(resolve(s), value, applying);
            }
            return applying;
        }

        private void expand(JsonNode s, JsonNode value, List<JsonNode> into) {
            into.add(s);
            if (s.has("if")) {
                JsonNode branch = matches(s.get("if"), value) ? s.path("then") : s.path("else");
                if (!branch.isMissingNode()) {
                    expand(resolve(branch), value, into);
                }
            }
            for (JsonNode part : s.path("allOf")) {
                expand(resolve(part), value, into);
            }
        }

        /** The conditions the schema uses: a type, or required properties with a const or enum value. */
        private static boolean matches(JsonNode condition, JsonNode value) {
            if (condition.has("type")) {
                return types(condition).contains(typeOf(value));
            }
            if (!value.isObject()) {
                return true;
            }
            for (JsonNode r : condition.path("required")) {
                if (!value.has(r.asText())) {
                    return false;
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> p = condition.path("properties").fields(); p.hasNext(); ) {
                Map.Entry<String, JsonNode> e = p.next();
                JsonNode v = value.get(e.getKey());
                if (v == null) {
                    continue;
                }
                if (e.getValue().has("const") && !e.getValue().get("const").equals(v)) {
                    return false;
                }
                if (e.getValue().has("enum") && !contains(e.getValue().get("enum"), v)) {
                    return false;
                }
            }
            return true;
        }

        private JsonNode resolve(JsonNode s) {
            return s.has("$ref") ? schema.at(s.get("$ref").asText().substring(1)) : s;
        }
    }

    private static Set<String> types(JsonNode s) {
        Set<String> types = new LinkedHashSet<>();
        JsonNode type = s.path("type");
        if (type.isTextual()) {
            types.add(type.asText());
        }
        type.forEach(t -> types.add(t.asText()));
        return types;
    }

    private static String typeOf(JsonNode value) {
        return switch (value.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> value.isIntegralNumber() ? "integer" : "number";
            case BOOLEAN -> "boolean";
            case OBJECT -> "object";
            case ARRAY -> "array";
            default -> "null";
        };
    }

    private static boolean isWhole(JsonNode value) {
        return value.isNumber() && value.asDouble() == Math.rint(value.asDouble());
    }

    private static boolean contains(JsonNode values, JsonNode value) {
        for (JsonNode v : values) {
            if (v.equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static JsonNode schema() {
        try (InputStream in = RequestCases.class.getResourceAsStream(RequestSchema.RESOURCE)) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
