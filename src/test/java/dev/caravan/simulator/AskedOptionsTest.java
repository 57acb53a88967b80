package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.testing.SimulatorExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The simulator honours what each chat API is asked, over real HTTP: JSON schemas (the answer validates against
 * the schema, checked by networknt), {@code n}, tool choice ({@code none}, a named function), logprobs and token
 * limits, in OpenAI Chat Completions, Anthropic Messages, Gemini generateContent and the Responses API.
 */
class AskedOptionsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String SCHEMA = """
            {"type":"object","properties":{"title":{"type":"string","maxLength":40},
             "rating":{"type":"integer","minimum":1,"maximum":5},"genre":{"type":"string","enum":["drama","comedy"]},
             "cast":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},
             "born":{"type":"string","format":"date"}},"required":["name","born"],"additionalProperties":false},
             "minItems":2},"sequel":{"type":["string","null"]}},
             "required":["title","rating","genre","cast","sequel"],"additionalProperties":false}""";
    static final String TOOL_PARAMETERS = """
            {"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["C","F"]}},
             "required":["city","unit"],"additionalProperties":false}""";

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of()
            .add("openai", null)
            .add("claude", "anthropic", null)
            .add("gemini", "gemini", null);

    @ParameterizedTest
    @ValueSource(strings = {"chat", "responses", "anthropic", "gemini-json-schema", "gemini-openapi"})
    void structuredAnswersValidateAgainstTheAskedSchema(String api) throws Exception {
        JsonNode schema = JSON.readTree(SCHEMA);
        String text = switch (api) {
            case "chat" -> post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "messages",
                    List.of(Map.of("role", "user", "content", "Rate a film")), "response_format", Map.of("type",
                    "json_schema", "json_schema", Map.of("name", "film", "strict", true, "schema", schema))))
                    .at("/choices/0/message/content").asText();
            case "responses" -> post("openai", "/v1/responses", Map.of("model", "gpt-4.1", "input", "Rate a film",
                    "text", Map.of("format", Map.of("type", "json_schema", "name", "film", "schema", schema))))
                    .at("/output/0/content/0/text").asText();
            case "anthropic" -> post("claude", "/v1/messages", Map.of("model", "claude-sonnet-4-5", "max_tokens",
                    1024, "messages", List.of(Map.of("role", "user", "content", "Rate a film")), "output_format",
                    Map.of("type", "json_schema", "schema", schema))).at("/content/0/text").asText();
            case "gemini-json-schema" -> post("gemini", "/v1beta/models/gemini-2.5-flash:generateContent",
                    Map.of("contents", List.of(Map.of("role", "user", "parts", List.of(Map.of("text", "Rate a film")))),
                            "generationConfig", Map.of("responseMimeType", "application/json",
                                    "responseJsonSchema", schema)))
                    .at("/candidates/0/content/parts/0/text").asText();
            default -> post("gemini", "/v1beta/models/gemini-2.5-flash:generateContent",
                    Map.of("contents", List.of(Map.of("role", "user", "parts", List.of(Map.of("text", "Rate a film")))),
                            "generationConfig", Map.of("responseMimeType", "application/json", "responseSchema",
                                    JSON.readTree(SCHEMA.replace("\"string\"", "\"STRING\"")
                                            .replace("\"integer\"", "\"INTEGER\"")))))
                    .at("/candidates/0/content/parts/0/text").asText();
        };

        JsonNode answer = JSON.readTree(text);
        assertThat(SchemaInstancesTest.errors(schema, answer)).as(text).isEmpty();
        assertThat(answer.get("title").asText()).startsWith("Simulated reply");
    }

    @Test
    void chatAnswersNChoicesEachItsOwn() throws Exception {
        JsonNode answer = post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "n", 3,
                "messages", List.of(Map.of("role", "user", "content", "Hi"))));

        assertThat(answer.get("choices")).hasSize(3);
        List<String> texts = new ArrayList<>();
        answer.get("choices").forEach(c -> texts.add(c.at("/message/content").asText()));
        assertThat(texts).doesNotHaveDuplicates();
        assertThat(answer.at("/choices/2/index").asInt()).isEqualTo(2);

        List<JsonNode> chunks = stream("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "n", 2,
                "stream", true, "messages", List.of(Map.of("role", "user", "content", "Hi"))));
        assertThat(chunks).extracting(c -> c.at("/choices/0/index").asInt()).contains(0, 1);
    }

    @Test
    void geminiAnswersTheAskedCandidateCount() throws Exception {
        JsonNode answer = post("gemini", "/v1beta/models/gemini-2.5-flash:generateContent", Map.of("contents",
                List.of(Map.of("role", "user", "parts", List.of(Map.of("text", "Hi")))), "generationConfig",
                Map.of("candidateCount", 2)));

        assertThat(answer.get("candidates")).hasSize(2);
    }

    @Test
    void toolChoiceNoneAnswersTextAndANamedFunctionIsCalled() throws Exception {
        Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "get_weather",
                "parameters", JSON.readTree(TOOL_PARAMETERS)));
        JsonNode none = post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "tools", List.of(tool),
                "tool_choice", "none", "messages", List.of(Map.of("role", "user", "content", "call get_weather"))));
        JsonNode named = post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "tools", List.of(tool),
                "tool_choice", Map.of("type", "function", "function", Map.of("name", "get_weather")),
                "messages", List.of(Map.of("role", "user", "content", "What now?"))));

        assertThat(none.at("/choices/0/message/tool_calls").isMissingNode()).isTrue();
        assertThat(none.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(named.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode arguments = JSON.readTree(named.at("/choices/0/message/tool_calls/0/function/arguments").asText());
        // the arguments follow the function's parameters
        assertThat(SchemaInstancesTest.errors(JSON.readTree(TOOL_PARAMETERS), arguments)).isEmpty();

        JsonNode claudeNone = post("claude", "/v1/messages", Map.of("model", "claude-sonnet-4-5", "max_tokens", 64,
                "tools", List.of(Map.of("name", "get_weather", "input_schema", JSON.readTree(TOOL_PARAMETERS))),
                "tool_choice", Map.of("type", "none"),
                "messages", List.of(Map.of("role", "user", "content", "call get_weather"))));
        JsonNode claudeNamed = post("claude", "/v1/messages", Map.of("model", "claude-sonnet-4-5", "max_tokens", 64,
                "tools", List.of(Map.of("name", "get_weather", "input_schema", JSON.readTree(TOOL_PARAMETERS))),
                "tool_choice", Map.of("type", "tool", "name", "get_weather"),
                "messages", List.of(Map.of("role", "user", "content", "What now?"))));
        assertThat(claudeNone.at("/content/0/type").asText()).isEqualTo("text");
        assertThat(claudeNamed.at("/content/0/type").asText()).isEqualTo("tool_use");
        assertThat(claudeNamed.at("/content/0/input/unit").asText()).isIn("C", "F");

        JsonNode geminiNone = post("gemini", "/v1beta/models/gemini-2.5-flash:generateContent", Map.of("contents",
                List.of(Map.of("role", "user", "parts", List.of(Map.of("text", "call get_weather")))), "tools",
                List.of(Map.of("functionDeclarations", List.of(Map.of("name", "get_weather")))), "toolConfig",
                Map.of("functionCallingConfig", Map.of("mode", "NONE"))));
        assertThat(geminiNone.at("/candidates/0/content/parts/0/functionCall").isMissingNode()).isTrue();
    }

    @Test
    void aToolsResultIsAnsweredInTextInEveryApi() throws Exception {
        Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "get_weather",
                "parameters", JSON.readTree(TOOL_PARAMETERS)));
        JsonNode chat = post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "tools", List.of(tool),
                "messages", List.of(Map.of("role", "user", "content", "call get_weather"),
                        Map.of("role", "assistant", "tool_calls", List.of(Map.of("id", "call_1", "type", "function",
                                "function", Map.of("name", "get_weather", "arguments", "{}")))),
                        Map.of("role", "tool", "tool_call_id", "call_1", "content", "sunny"))));
        JsonNode claude = post("claude", "/v1/messages", Map.of("model", "claude-sonnet-4-5", "max_tokens", 64,
                "tools", List.of(Map.of("name", "get_weather", "input_schema", JSON.readTree(TOOL_PARAMETERS))),
                "messages", List.of(Map.of("role", "user", "content", "call get_weather"),
                        Map.of("role", "assistant", "content", List.of(Map.of("type", "tool_use", "id", "toolu_1",
                                "name", "get_weather", "input", Map.of()))),
                        Map.of("role", "user", "content", List.of(Map.of("type", "tool_result", "tool_use_id",
                                "toolu_1", "content", "sunny"))))));
        JsonNode gemini = post("gemini", "/v1beta/models/gemini-2.5-flash:generateContent", Map.of("tools",
                List.of(Map.of("functionDeclarations", List.of(Map.of("name", "get_weather")))), "contents", List.of(
                        Map.of("role", "user", "parts", List.of(Map.of("text", "call get_weather"))),
                        Map.of("role", "model", "parts", List.of(Map.of("functionCall", Map.of("name", "get_weather",
                                "args", Map.of())))),
                        Map.of("role", "user", "parts", List.of(Map.of("functionResponse", Map.of("name",
                                "get_weather", "response", Map.of("sky", "sunny"))))))));
        JsonNode responses = post("openai", "/v1/responses", Map.of("model", "gpt-4.1", "tools", List.of(Map.of(
                "type", "function", "name", "get_weather", "parameters", JSON.readTree(TOOL_PARAMETERS))), "input",
                List.of(Map.of("role", "user", "content", "call get_weather"), Map.of("type", "function_call",
                        "call_id", "call_1", "name", "get_weather", "arguments", "{}"), Map.of("type",
                        "function_call_output", "call_id", "call_1", "output", "sunny"))));

        assertThat(chat.at("/choices/0/message/content").asText()).endsWith("the output of call_1: sunny");
        assertThat(claude.at("/content/0/text").asText()).endsWith("the output of toolu_1: sunny");
        assertThat(gemini.at("/candidates/0/content/parts/0/text").asText()).contains("sunny");
        assertThat(responses.at("/output/0/type").asText()).isEqualTo("message");
    }

    @Test
    void logprobsComeWhenAskedForInChatAndGemini() throws Exception {
        JsonNode chat = post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "logprobs", true,
                "top_logprobs", 3, "messages", List.of(Map.of("role", "user", "content", "Hi"))));
        JsonNode plain = post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini",
                "messages", List.of(Map.of("role", "user", "content", "Hi"))));

        JsonNode content = chat.at("/choices/0/logprobs/content");
        assertThat(content.size()).isPositive();
        StringBuilder joined = new StringBuilder();
        content.forEach(entry -> {
            joined.append(entry.get("token").asText());
            assertThat(entry.get("logprob").asDouble()).isNegative();
            assertThat(entry.get("top_logprobs")).hasSize(3);
        });
        assertThat(joined.toString()).isEqualTo(chat.at("/choices/0/message/content").asText());
        assertThat(plain.at("/choices/0/logprobs").isNull()).isTrue();

        JsonNode gemini = post("gemini", "/v1beta/models/gemini-2.5-flash:generateContent", Map.of("contents",
                List.of(Map.of("role", "user", "parts", List.of(Map.of("text", "Hi")))), "generationConfig",
                Map.of("responseLogprobs", true, "logprobs", 2)));
        assertThat(gemini.at("/candidates/0/logprobsResult/chosenCandidates").size()).isPositive();
        assertThat(gemini.at("/candidates/0/avgLogprobs").asDouble()).isNegative();
    }

    @Test
    void aTokenLimitCutsTheAnswerWithEachApisReason() throws Exception {
        JsonNode chat = post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "max_completion_tokens",
                3, "messages", List.of(Map.of("role", "user", "content", "Tell me everything"))));
        JsonNode claude = post("claude", "/v1/messages", Map.of("model", "claude-sonnet-4-5", "max_tokens", 3,
                "messages", List.of(Map.of("role", "user", "content", "Tell me everything"))));
        JsonNode gemini = post("gemini", "/v1beta/models/gemini-2.5-flash:generateContent", Map.of("contents",
                List.of(Map.of("role", "user", "parts", List.of(Map.of("text", "Tell me everything")))),
                "generationConfig", Map.of("maxOutputTokens", 3)));
        JsonNode roomy = post("openai", "/v1/chat/completions", Map.of("model", "gpt-4o-mini", "max_tokens", 4096,
                "messages", List.of(Map.of("role", "user", "content", "Tell me everything"))));

        assertThat(chat.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(chat.at("/usage/completion_tokens").asInt()).isEqualTo(3);
        assertThat(chat.at("/choices/0/message/content").asText()).hasSize(12);
        assertThat(claude.at("/stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(claude.at("/usage/output_tokens").asInt()).isEqualTo(3);
        assertThat(gemini.at("/candidates/0/finishReason").asText()).isEqualTo("MAX_TOKENS");
        assertThat(roomy.at("/choices/0/finish_reason").asText()).isEqualTo("stop");

        List<JsonNode> events = stream("claude", "/v1/messages", Map.of("model", "claude-sonnet-4-5", "max_tokens", 3,
                "stream", true, "messages", List.of(Map.of("role", "user", "content", "Tell me everything"))));
        assertThat(events).anySatisfy(e -> assertThat(e.at("/delta/stop_reason").asText()).isEqualTo("max_tokens"));
    }

    @Test
    void anthropicThinkingComesFirstWithItsSignature() throws Exception {
        JsonNode answer = post("claude", "/v1/messages", Map.of("model", "claude-sonnet-4-5", "max_tokens", 2048,
                "thinking", Map.of("type", "enabled", "budget_tokens", 1024),
                "messages", List.of(Map.of("role", "user", "content", "Think first"))));

        assertThat(answer.at("/content/0/type").asText()).isEqualTo("thinking");
        assertThat(answer.at("/content/0/signature").asText()).isNotBlank();
        assertThat(answer.at("/content/1/type").asText()).isEqualTo("text");

        List<JsonNode> events = stream("claude", "/v1/messages", Map.of("model", "claude-sonnet-4-5", "max_tokens",
                2048, "stream", true, "thinking", Map.of("type", "enabled", "budget_tokens", 1024),
                "messages", List.of(Map.of("role", "user", "content", "Think first"))));
        List<String> deltas = new ArrayList<>();
        events.forEach(e -> deltas.add(e.path("index").asText() + ":" + e.at("/delta/type").asText()
                + e.at("/content_block/type").asText()));
        assertThat(deltas).containsSubsequence("0:thinking", "0:thinking_delta", "0:signature_delta", "1:text",
                "1:text_delta");
    }

    static JsonNode post(String provider, String path, Map<String, Object> body) throws Exception {
        HttpResponse<String> response = send(provider, path, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** The JSON of each {@code data:} line of a streamed answer. */
    static List<JsonNode> stream(String provider, String path, Map<String, Object> body) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (String line : send(provider, path, body).body().split("\r?\n")) {
            if (line.startsWith("data: {")) {
                events.add(JSON.readTree(line.substring(6)));
            }
        }
        return events;
    }

    static HttpResponse<String> send(String provider, String path, Map<String, Object> body) throws Exception {
        ObjectNode tree = JSON.valueToTree(body);
        return HTTP.send(HttpRequest.newBuilder(URI.create(sim.root(provider) + path))
                .header("content-type", "application/json").header("authorization", "Bearer k")
                .header("x-api-key", "k").header("anthropic-version", "2023-06-01").header("x-goog-api-key", "k")
                .POST(HttpRequest.BodyPublishers.ofString(tree.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
