package dev.caravan.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The typed request and response records read what they name and write back everything they read. */
class TypedRecordsTest {

    private final ObjectMapper json = new ObjectMapper();

    /** Fields no record names, at every level a record types. */
    private static final String RICH = """
            {"model": "smart", "stream": true, "stream_options": {"include_usage": true},
             "messages": [
               {"role": "system", "content": [{"type": "text", "text": "Be brief.",
                 "cache_control": {"type": "ephemeral", "ttl": "1h"}}], "x_system_tag": 1},
               {"role": "user", "name": "ann", "content": [
                 {"type": "text", "text": "What is this?"},
                 {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low",
                   "x_crop": [0, 0, 10, 10]}},
                 {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav", "x_rate": 16000}},
                 {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBE",
                   "x_pages": "1-2"}},
                 {"type": "x_future_part", "payload": {"a": [1, 2.5, null, true]}}]},
               {"role": "assistant", "content": null, "refusal": null, "reasoning_content": "hmm",
                "tool_calls": [{"id": "call_1", "type": "function",
                  "function": {"name": "look", "arguments": "{\\"q\\": 1}", "x_fn": "kept"},
                  "extra_content": {"google": {"thought_signature": "EqUC"}}}]},
               {"role": "tool", "tool_call_id": "call_1", "content": "42"}],
             "tools": [
               {"type": "function", "function": {"name": "look", "description": "Looks.", "strict": true,
                 "parameters": {"type": "object", "properties": {"q": {"type": "integer"}}},
                 "x_fn_meta": {"v": 2}}, "x_tool_meta": "t"},
               {"type": "custom", "custom": {"name": "grammar", "format": {"type": "text"}}}],
             "tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "auto",
               "tools": [{"type": "function", "function": {"name": "look"}}]}},
             "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
               "schema": {"type": "object", "properties": {"a": {"type": "string"}}}, "x_schema_meta": 3},
               "x_format_meta": "f"},
             "stop": "END", "temperature": 0.5, "top_p": 1, "max_completion_tokens": 64,
             "seed": 7, "logit_bias": {"50256": -100}, "caravan": {"policy": "cost"}}
            """;

    @Test
    void aRequestWrittenBackIsTheRequestReadWithEveryUnknownFieldKept() throws IOException {
        ChatRequest request = json.readValue(RICH, ChatRequest.class);

        assertThat(written(request)).isEqualTo(withDoubleTopP(json.readTree(RICH)));
    }

    @Test
    void theTypedPartsReadWhatTheyName() throws IOException {
        ChatRequest request = json.readValue(RICH, ChatRequest.class);

        assertThat(request.stop()).isEqualTo(new Stop(java.util.List.of("END"), true));
        assertThat(request.tools()).hasSize(2);
        assertThat(request.tools().get(0).declaresFunction()).isTrue();
        assertThat(request.tools().get(0).function().name()).isEqualTo("look");
        assertThat(request.tools().get(0).function().strict()).isTrue();
        assertThat(request.tools().get(0).extra()).containsOnlyKeys("x_tool_meta");
        assertThat(request.tools().get(1).declaresFunction()).isFalse();
        assertThat(request.tools().get(1).extra()).containsOnlyKeys("custom");
        assertThat(request.toolChoice().mode()).isNull();
        assertThat(request.toolChoice().named().type()).isEqualTo("allowed_tools");
        assertThat(request.toolChoice().functionName()).isNull();
        assertThat(request.responseFormat().wantsJson()).isTrue();
        assertThat(request.responseFormat().schema().path("properties").has("a")).isTrue();
        assertThat(request.extra()).containsOnlyKeys("stream_options", "seed", "logit_bias", "caravan");

        ChatMessage user = request.messages().get(1);
        assertThat(user.content().parts()).extracting(ContentPart::type)
                .containsExactly("text", "image_url", "input_audio", "file", "x_future_part");
        assertThat(user.content().parts().get(1).imageUrl().url()).isEqualTo("https://example.com/a.png");
        assertThat(user.content().parts().get(1).imageUrl().extra()).containsOnlyKeys("x_crop");
        assertThat(user.content().parts().get(3).file().filename()).isEqualTo("a.pdf");
        assertThat(user.content().parts().get(4).extra()).containsOnlyKeys("payload");
        assertThat(user.text()).isEqualTo("What is this?");

        ChatMessage assistant = request.messages().get(2);
        assertThat(assistant.content()).isSameAs(Content.NONE);
        assertThat(assistant.callsTools()).isTrue();
        assertThat(assistant.toolCalls().getFirst().function().arguments()).isEqualTo("{\"q\": 1}");
        assertThat(assistant.toolCalls().getFirst().extra()).containsOnlyKeys("extra_content");
        assertThat(assistant.extra()).containsOnlyKeys("refusal", "reasoning_content");
        assertThat(request.messages().get(3).content().text()).isEqualTo("42");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"auto\"", "\"none\"", "\"required\"",
            "{\"type\": \"function\", \"function\": {\"name\": \"look\"}}",
            "{\"type\": \"custom\", \"custom\": {\"name\": \"grammar\"}}"})
    void everyToolChoiceFormIsWrittenAsItCame(String choice) throws IOException {
        String body = "{\"model\": \"m\", \"messages\": [], \"tool_choice\": " + choice + "}";

        assertThat(written(json.readValue(body, ChatRequest.class))).isEqualTo(json.readTree(body));
    }

    @Test
    void aForcedFunctionIsNamedWhicheverFormItCameIn() throws IOException {
        ToolChoice function = json.readValue("{\"type\": \"function\", \"function\": {\"name\": \"look\"}}",
                ToolChoice.class);

        assertThat(function.functionName()).isEqualTo("look");
        assertThat(json.readValue("\"required\"", ToolChoice.class)).isEqualTo(ToolChoice.mode("required"));
        assertThat(written(ToolChoice.function("look"))).isEqualTo(written(function));
    }

    @Test
    void stopAsAnArrayStaysAnArrayAndAbsentContentStaysAbsent() throws IOException {
        String body = "{\"model\": \"m\", \"stop\": [\"a\", \"b\"], \"messages\": [{\"role\": \"assistant\", "
                + "\"tool_calls\": [{\"id\": \"c\", \"type\": \"function\", \"function\": {\"name\": \"f\", "
                + "\"arguments\": \"{}\"}}]}]}";

        ChatRequest request = json.readValue(body, ChatRequest.class);

        assertThat(request.stop().sequences()).containsExactly("a", "b");
        assertThat(request.messages().getFirst().content()).isNull();
        assertThat(written(request)).isEqualTo(json.readTree(body));
    }

    @Test
    void toolCallArgumentsSentAsAnObjectAreReadAsTheirJsonText() throws IOException {
        ToolCall call = json.readValue("{\"id\": \"c\", \"type\": \"function\", \"function\": {\"name\": \"f\", "
                + "\"arguments\": {\"city\": \"Paris\"}}}", ToolCall.class);

        assertThat(call.function().arguments()).isEqualTo("{\"city\":\"Paris\"}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-completion.json", "chat-completion-cached-tool-call.json"})
    void anOpenAiAnswerWrittenBackIsTheAnswerRead(String fixture) throws IOException {
        byte[] body = Fixtures.bytes("openai", fixture);

        assertThat(written(json.readValue(body, ChatResponse.class))).isEqualTo(json.readTree(body));
    }

    /** What a value is written as, read back as JSON. */
    private JsonNode written(Object value) throws IOException {
        return json.readTree(json.writeValueAsBytes(value));
    }

    /** A number read into a {@code Double} is written back as a decimal: the same number, another JSON token. */
    private static JsonNode withDoubleTopP(JsonNode request) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) request).put("top_p", 1.0);
        return request;
    }
}
