package dev.caravan.ingress.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.time.Clock;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.Reasoning;
import dev.caravan.provider.Fixtures;
import dev.caravan.provider.gemini.GeminiDialect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GeminiRequestsTest {

    private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            false);

    private JsonNode documented() throws IOException {
        return json.readTree(Fixtures.bytes("gemini", "generate-content-request.json"));
    }

    private JsonNode body(String text) throws IOException {
        return json.readTree(text);
    }

    private GeminiRequests.Translated translate(String body) throws IOException {
        return GeminiRequests.toChatRequest(body(body), "fast", false);
    }

    @Test
    void theDocumentedRequestBecomesTheCanonicalConversation() throws IOException {
        JsonNode chat = GeminiRequests.toChatRequest(documented(), "smart", true).chat();

        assertThat(chat.get("model").asText()).isEqualTo("smart");
        assertThat(chat.get("stream").asBoolean()).isTrue();
        JsonNode messages = chat.get("messages");
        assertThat(messages).hasSize(7);
        assertThat(messages.get(0).toString()).isEqualTo("{\"role\":\"system\",\"content\":"
                + "\"You are a concise travel assistant.\\nAnswer in metric units.\"}");
        JsonNode photos = messages.get(1).get("content");
        assertThat(photos).hasSize(4);
        assertThat(photos.get(2).at("/image_url/url").asText()).startsWith("data:image/png;base64,iVBORw0KGgo");
        assertThat(photos.get(3).at("/image_url/url").asText())
                .isEqualTo("https://example.com/photos/boston.jpg?size=large");
        JsonNode assistant = messages.get(2);
        assertThat(assistant.get("content").asText()).isEqualTo("Let me check both cities.");
        assertThat(assistant.at("/tool_calls/0/function/arguments").asText())
                .isEqualTo("{\"location\":\"Boston, MA\"}");
        assertThat(assistant.at("/tool_calls/0/extra_content/google/thought_signature").asText())
                .isEqualTo("EqUCCqICAb4+9vsh8Pd5taZVoPzSvjWW");
        String boston = assistant.at("/tool_calls/0/id").asText();
        String sf = assistant.at("/tool_calls/1/id").asText();
        assertThat(boston).isNotEqualTo(sf);
        // Gemini names no ids: each response answers the earliest unanswered call of its name
        assertThat(messages.get(3).get("tool_call_id").asText()).isEqualTo(boston);
        assertThat(messages.get(3).get("content").asText()).isEqualTo("{\"temperature\":22,\"unit\":\"celsius\"}");
        assertThat(messages.get(4).get("tool_call_id").asText()).isEqualTo(sf);
        assertThat(messages.get(6).toString()).isEqualTo("{\"role\":\"user\",\"content\":\"Book the warmer one.\"}");

        assertThat(chat.get("tools")).hasSize(3);
        assertThat(chat.at("/tools/0/function/parameters").toString()).isEqualTo("{\"type\":\"object\","
                + "\"properties\":{\"location\":{\"type\":\"string\",\"description\":\"City and state, e.g. Boston, "
                + "MA\"},\"unit\":{\"type\":[\"string\",\"null\"],\"enum\":[\"celsius\",\"fahrenheit\"]}},"
                + "\"required\":[\"location\",\"unit\"]}");
        assertThat(chat.at("/tools/2/function").has("parameters")).isFalse();
        assertThat(chat.get("tool_choice").toString())
                .isEqualTo("{\"type\":\"function\",\"function\":{\"name\":\"book_trip\"}}");
        assertThat(chat.get("stop").toString()).isEqualTo("[\"\\n\\n\"]");
        assertThat(chat.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(chat.get("top_p").asDouble()).isEqualTo(0.9);
        assertThat(chat.get("max_completion_tokens").asInt()).isEqualTo(256);
        assertThat(chat.get("n").asInt()).isEqualTo(1);
        assertThat(chat.get("seed").asInt()).isEqualTo(42);
        assertThat(chat.get("presence_penalty").asDouble()).isEqualTo(0.5);
        assertThat(chat.get("response_format").toString()).isEqualTo("{\"type\":\"json_schema\",\"json_schema\":"
                + "{\"name\":\"response\",\"schema\":{\"type\":\"object\",\"properties\":{\"confirmation\":"
                + "{\"type\":\"string\"}},\"required\":[\"confirmation\"]}}}");
    }

    @Test
    void aGeminiTargetGetsBackTheConversationItWasSent() throws IOException {
        JsonNode original = documented();
        ChatRequest canonical = json.treeToValue(GeminiRequests.toChatRequest(original, "smart", false).chat(),
                ChatRequest.class);

        JsonNode wire = json.readTree(new GeminiDialect(json, Clock.systemUTC()).toWire(canonical,
                "gemini-2.5-pro"));

        assertThat(wire.get("contents")).isEqualTo(original.get("contents"));
        assertThat(wire.get("systemInstruction").at("/parts/0/text").asText())
                .isEqualTo("You are a concise travel assistant.\nAnswer in metric units.");
        assertThat(wire.get("toolConfig")).isEqualTo(original.get("toolConfig"));
        assertThat(wire.at("/tools/0/functionDeclarations/0/parameters/properties/location"))
                .isEqualTo(original.at("/tools/0/functionDeclarations/0/parameters/properties/location"));
        assertThat(wire.at("/generationConfig/maxOutputTokens").asInt()).isEqualTo(256);
        assertThat(wire.at("/generationConfig/responseSchema")).isEqualTo(original.at("/generationConfig/responseSchema"));
    }

    @Test
    void aThinkingBudgetReachesAGeminiTargetAtGooglesStep() throws IOException {
        ChatRequest canonical = json.treeToValue(translate("""
                {"contents": [{"parts": [{"text": "hi"}]}],
                 "generationConfig": {"thinkingConfig": {"thinkingBudget": 8192}}}""").chat(), ChatRequest.class);

        JsonNode wire = json.readTree(new GeminiDialect(json, Clock.systemUTC()).toWire(canonical, "gemini-2.5-pro"));

        assertThat(wire.at("/generationConfig/thinkingConfig").toString()).isEqualTo("{\"thinkingBudget\":8192}");
    }

    @Test
    void aResponseNamedByIdAnswersThatCallWhateverItsPlace() throws IOException {
        JsonNode chat = translate("""
                {"contents": [
                  {"role": "user", "parts": [{"text": "weather in two cities"}]},
                  {"role": "model", "parts": [
                    {"functionCall": {"id": "a1", "name": "weather", "args": {"city": "Oslo"}}},
                    {"functionCall": {"id": "b2", "name": "weather", "args": {"city": "Rome"}}}]},
                  {"role": "user", "parts": [
                    {"functionResponse": {"id": "b2", "name": "weather", "response": {"sky": "sun"}}},
                    {"functionResponse": {"id": "a1", "name": "weather", "response": {"sky": "snow"}}},
                    {"text": "and so?"}]}]}""").chat();

        JsonNode messages = chat.get("messages");
        assertThat(messages.get(2).get("tool_call_id").asText()).isEqualTo("b2");
        assertThat(messages.get(3).get("tool_call_id").asText()).isEqualTo("a1");
        assertThat(messages.get(3).get("content").asText()).isEqualTo("{\"sky\":\"snow\"}");
        // the text of the same turn follows the tool results, which must come right after the call
        assertThat(messages.get(4).toString()).isEqualTo("{\"role\":\"user\",\"content\":\"and so?\"}");
        assertThat(messages.get(1).get("content").isNull()).isTrue();
    }

    @Test
    void thoughtsOfEarlierTurnsAreLeftOutAndIncludeThoughtsIsRemembered() throws IOException {
        GeminiRequests.Translated translated = translate("""
                {"contents": [
                  {"role": "user", "parts": [{"text": "hi"}]},
                  {"role": "model", "parts": [{"text": "musing", "thought": true}, {"text": "Hello"},
                    {"thoughtSignature": "c2ln"}]},
                  {"role": "user", "parts": [{"text": "more"}]}],
                 "generationConfig": {"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 2048}}}""");

        assertThat(translated.includeThoughts()).isTrue();
        assertThat(translated.chat().at("/messages/1").toString())
                .isEqualTo("{\"role\":\"assistant\",\"content\":\"Hello\"}");
        assertThat(reasoning(translated.chat())).isEqualTo(new Reasoning(null, 2048, true));
    }

    private Reasoning reasoning(JsonNode chat) {
        return Reasoning.of(json.convertValue(chat, ChatRequest.class));
    }

    static Stream<Arguments> thinking() {
        return Stream.of(
                Arguments.of("{\"thinkingBudget\": 1024}", new Reasoning(null, 1024, false), "low"),
                Arguments.of("{\"thinkingBudget\": 8192}", new Reasoning(null, 8192, false), "medium"),
                Arguments.of("{\"thinkingBudget\": 24576}", new Reasoning(null, 24576, false), "high"),
                Arguments.of("{\"thinkingLevel\": \"LOW\"}", new Reasoning("low", null, false), "low"),
                Arguments.of("{\"thinkingLevel\": \"HIGH\"}", new Reasoning("high", null, false), "high"),
                Arguments.of("{\"thinkingBudget\": 0}", new Reasoning(null, 0, false), "none"),
                Arguments.of("{\"thinkingBudget\": -1}", new Reasoning(null, -1, false), "medium"),
                Arguments.of("{\"includeThoughts\": true}", new Reasoning(null, null, true), null));
    }

    @ParameterizedTest
    @MethodSource("thinking")
    void aThinkingBudgetOrLevelIsTheCanonicalReasoningSettingAsGiven(String config, Reasoning expected, String level)
            throws IOException {
        JsonNode chat = translate("{\"contents\": [{\"parts\": [{\"text\": \"hi\"}]}], \"generationConfig\": "
                + "{\"thinkingConfig\": " + config + "}}").chat();

        assertThat(reasoning(chat)).isEqualTo(expected);
        assertThat(reasoning(chat).level()).isEqualTo(level);
    }

    @Test
    void topKIsKeptForTheTargetsThatTakeIt() throws IOException {
        JsonNode chat = translate("{\"contents\": [{\"parts\": [{\"text\": \"hi\"}]}], \"generationConfig\": "
                + "{\"topK\": 40}}").chat();

        assertThat(chat.get("top_k").asInt()).isEqualTo(40);
    }

    @Test
    void aJsonSchemaIsKeptAsWrittenAndJsonWithoutOneIsJsonMode() throws IOException {
        JsonNode schema = translate("""
                {"contents": [{"parts": [{"text": "hi"}]}],
                 "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema":
                   {"type": "object", "additionalProperties": false, "properties": {"a": {"type": "integer"}}}}}""")
                .chat();
        JsonNode plain = translate("""
                {"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"responseMimeType": "application/json"}}""")
                .chat();

        assertThat(schema.at("/response_format/json_schema/schema").toString()).isEqualTo(
                "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"a\":{\"type\":\"integer\"}}}");
        assertThat(plain.get("response_format").toString()).isEqualTo("{\"type\":\"json_object\"}");
    }

    @Test
    void anyOfSeveralFunctionsOffersOnlyThoseAndRequiresACall() throws IOException {
        JsonNode chat = translate("""
                {"contents": [{"parts": [{"text": "hi"}]}],
                 "tools": [{"functionDeclarations": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}],
                 "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["a", "c"]}}}""")
                .chat();

        assertThat(chat.get("tools")).extracting(tool -> tool.at("/function/name").asText()).containsExactly("a", "c");
        assertThat(chat.get("tool_choice").asText()).isEqualTo("required");
    }

    @Test
    void mediaBecomesTheCanonicalPartsOfItsKind() throws IOException {
        JsonNode content = translate("""
                {"contents": [{"parts": [
                  {"inlineData": {"mimeType": "audio/mp3", "data": "SUQz"}},
                  {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0x"}}]}]}""")
                .chat().at("/messages/0/content");

        assertThat(content.get(0).toString())
                .isEqualTo("{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"SUQz\",\"format\":\"mp3\"}}");
        assertThat(content.get(1).at("/file/file_data").asText()).isEqualTo("data:application/pdf;base64,JVBERi0x");
    }

    static Stream<Arguments> refused() {
        String text = "{\"parts\": [{\"text\": \"hi\"}]}";
        return Stream.of(
                Arguments.of("{\"contents\": [" + text + "], \"safetySettings\": []}", "safetySettings"),
                Arguments.of("{\"contents\": [" + text + "], \"cachedContent\": \"cachedContents/x\"}",
                        "cachedContent"),
                Arguments.of("{\"contents\": [" + text + "], \"tools\": [{\"googleSearch\": {}}]}",
                        "tools[0].googleSearch"),
                Arguments.of("{\"contents\": [" + text + "], \"tools\": [{\"codeExecution\": {}}]}",
                        "tools[0].codeExecution"),
                Arguments.of("{\"contents\": [" + text + "], \"generationConfig\": {\"thinkingConfig\": "
                        + "{\"thinkingLevel\": \"EXTREME\"}}}", "generationConfig.thinkingConfig.thinkingLevel"),
                Arguments.of("{\"contents\": [" + text + "], \"generationConfig\": {\"responseMimeType\": "
                        + "\"text/x.enum\"}}", "generationConfig.responseMimeType"),
                Arguments.of("{\"contents\": [" + text + "], \"generationConfig\": {\"responseModalities\": "
                        + "[\"IMAGE\"]}}", "generationConfig.responseModalities"),
                Arguments.of("{\"contents\": [{\"parts\": [{\"inlineData\": {\"mimeType\": \"video/mp4\", \"data\": "
                        + "\"AAAA\"}}]}]}", "contents[0].parts[0].inlineData.mimeType"),
                Arguments.of("{\"contents\": [{\"parts\": [{\"executableCode\": {\"code\": \"1\"}}]}]}",
                        "contents[0].parts[0].executableCode"),
                Arguments.of("{\"contents\": [{\"parts\": [{\"functionResponse\": {\"name\": \"f\", \"response\": "
                        + "{}}}]}]}", "contents[0].parts[0].functionResponse"),
                Arguments.of("{\"contents\": [{\"role\": \"system\", \"parts\": [{\"text\": \"x\"}]}]}",
                        "contents[0].role"),
                Arguments.of("{\"contents\": []}", "contents"),
                Arguments.of("{\"contents\": [" + text + "], \"tools\": [{\"functionDeclarations\": [{\"name\": "
                        + "\"f\"}]}], \"toolConfig\": {\"functionCallingConfig\": {\"mode\": \"VALIDATED\"}}}",
                        "toolConfig.functionCallingConfig.mode"),
                Arguments.of("{\"contents\": [" + text + "], \"generationConfig\": {\"temperature\": \"hot\"}}",
                        "generationConfig.temperature"));
    }

    @ParameterizedTest
    @MethodSource("refused")
    void whatNoOtherProviderCanTakeIsRefusedByName(String body, String param) throws IOException {
        InvalidRequest refused = catchThrowableOfType(InvalidRequest.class, () -> translate(body));

        assertThat(refused).isNotNull();
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.param()).isEqualTo(param);
        assertThat(refused.getMessage()).contains(param.substring(param.lastIndexOf('.') + 1));
    }
}
