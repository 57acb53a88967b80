package dev.caravan.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.ConfigurationError;
import dev.caravan.GatewaySettings;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.ApiKeys;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.Dialects;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Fixtures;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AnthropicDialectTest {

    private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private final ObjectMapper json = new ObjectMapper();
    private final AnthropicDialect dialect = new AnthropicDialect(new ObjectMapper(), CLOCK);

    static byte[] fixture(String name) {
        return Fixtures.bytes("anthropic", name);
    }

    private ChatRequest request(String body) throws IOException {
        return json.readValue(body, ChatRequest.class);
    }

    private JsonNode wire(String body) throws IOException {
        return json.readTree(dialect.toWire(request(body), "claude-sonnet-4-5"));
    }

    /** The provider {@code claude} as the gateway binds it, with {@code options} of its dialect set. */
    private static ProviderSettings settings(Map<String, String> options) {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        p.put("caravan.providers", "claude");
        p.put("caravan.provider.claude.dialect", "anthropic");
        p.put("caravan.provider.claude.base-url", "https://api.anthropic.com/v1");
        p.put("caravan.provider.claude.api-keys", "sk-ant-test");
        p.put("caravan.model.smart", "claude:claude-sonnet-4-5");
        options.forEach((option, value) -> p.put("caravan.provider.claude." + option, value));
        return GatewaySettings.from(p).providers().get(0);
    }

    // ---------------------------------------------------------------- settings, paths and headers

    @Test
    void keyAndVersionGoInAnthropicsHeadersAndChatToTheMessagesPath() {
        assertThat(dialect.name()).isEqualTo("anthropic");
        assertThat(dialect.headers("sk-ant-test"))
                .containsOnly(Map.entry("x-api-key", "sk-ant-test"), Map.entry("anthropic-version", "2023-06-01"));
        assertThat(dialect.chatPath("claude-sonnet-4-5", false)).isEqualTo("/messages");
        assertThat(dialect.chatPath("claude-sonnet-4-5", true)).isEqualTo("/messages");
        assertThat(dialect.modelsPath()).isEqualTo("/models");
    }

    @Test
    void theProvidersOptionsSetTheVersionHeaderAndTheDefaultTokenLimit() throws IOException {
        Dialect configured = new Dialects(json, CLOCK).create(settings(
                Map.of("anthropic-version", "2024-10-22", "default-max-tokens", "8192")));

        assertThat(configured).isInstanceOf(AnthropicDialect.class);
        assertThat(configured.headers("k")).containsEntry("anthropic-version", "2024-10-22");
        JsonNode sent = json.readTree(configured.toWire(request(
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), "claude-opus-4-6"));
        assertThat(sent.get("max_tokens").asInt()).isEqualTo(8192);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5", "lots", "1.5", "99999999999"})
    void aDefaultTokenLimitThatIsNotAPositiveWholeNumberIsRefusedNamingTheKey(String value) {
        ConfigurationError error = catchThrowableOfType(ConfigurationError.class,
                () -> settings(Map.of("default-max-tokens", value)));

        assertThat(error).isNotNull();
        assertThat(error.getMessage()).contains("caravan.provider.claude.default-max-tokens").contains(value);
    }

    // ---------------------------------------------------------------- toWire

    @Test
    void toWireTranslatesEveryPartOfARichConversation() throws IOException {
        ChatRequest request = json.readValue(fixture("chat-request.json"), ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "claude-sonnet-4-5-20250929"));

        assertThat(sent).isEqualTo(json.readTree(fixture("messages-request.json")));
    }

    @Test
    void openAiFieldsTheMessagesApiDoesNotKnowAreNotSent() throws IOException {
        ChatRequest request = json.readValue(fixture("chat-request.json"), ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "claude-sonnet-4-5-20250929"));

        assertThat(sent.properties()).extracting(Map.Entry::getKey).containsExactlyInAnyOrder("model", "max_tokens",
                "system", "messages", "stop_sequences", "temperature", "top_p", "tools", "tool_choice", "metadata",
                "stream");
        assertThat(sent.at("/messages/0").has("name")).isFalse();
        assertThat(sent.at("/tools/0").has("strict")).isFalse();
    }

    @Test
    void toWireLeavesTheCallersRequestAsItWasForTheNextAttempt() throws IOException {
        ChatRequest request = json.readValue(fixture("chat-request.json"), ChatRequest.class);

        dialect.toWire(request, "claude-sonnet-4-5-20250929");
        JsonNode second = json.readTree(dialect.toWire(request, "claude-haiku-4-5"));

        assertThat(request.model()).isEqualTo("smart");
        assertThat(request.messages()).hasSize(9);
        assertThat(request.extra()).containsKey("caravan");
        assertThat(second.get("model").asText()).isEqualTo("claude-haiku-4-5");
        assertThat(second.get("messages")).isEqualTo(json.readTree(fixture("messages-request.json")).get("messages"));
    }

    @Test
    void aPlainRequestBecomesThePlainestMessagesRequestWithTheDefaultTokenLimit() throws IOException {
        JsonNode sent = wire("{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello, Claude\"}]}");

        assertThat(sent).isEqualTo(json.readTree("{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 4096, "
                + "\"messages\": [{\"role\": \"user\", \"content\": \"Hello, Claude\"}]}"));
    }

    @Test
    void aProgrammaticRequestTranslatesToo() throws IOException {
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of("system", "Be brief."),
                ChatMessage.of("user", "hello")), null, 64, null, null, null, null, null, null, null, null);

        JsonNode sent = json.readTree(dialect.toWire(request, "claude-haiku-4-5"));

        assertThat(sent).isEqualTo(json.readTree("{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64, "
                + "\"system\": [{\"type\": \"text\", \"text\": \"Be brief.\"}], "
                + "\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}"));
    }

    @Test
    void maxCompletionTokensWinsOverMaxTokensWhichWinsOverTheDefault() throws IOException {
        String messages = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
        assertThat(wire("{\"model\": \"m\", " + messages + ", \"max_tokens\": 300}").get("max_tokens").asInt())
                .isEqualTo(300);
        assertThat(wire("{\"model\": \"m\", " + messages + ", \"max_tokens\": 300, \"max_completion_tokens\": 200}")
                .get("max_tokens").asInt()).isEqualTo(200);
        assertThat(wire("{\"model\": \"m\", " + messages + "}").get("max_tokens").asInt()).isEqualTo(4096);
    }

    @ParameterizedTest(name = "temperature {0} -> {1}")
    @CsvSource({"0, 0.0", "0.3, 0.3", "1, 1.0", "1.5, 1.0", "2, 1.0"})
    void temperatureIsClampedToTheApisRange(double openAi, double anthropic) throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"temperature\": " + openAi + ", \"top_p\": 0.5}");

        assertThat(sent.get("temperature").asDouble()).isEqualTo(anthropic);
        assertThat(sent.get("top_p").asDouble()).isEqualTo(0.5);
    }

    @Test
    void aSingleStopStringBecomesAOneElementStopSequenceList() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"stop\": \"\\n\\nHuman:\"}");

        assertThat(sent.get("stop_sequences")).isEqualTo(json.readTree("[\"\\n\\nHuman:\"]"));
        assertThat(sent.has("stop")).isFalse();
    }

    static Stream<Arguments> toolChoices() {
        return Stream.of(
                Arguments.of("\"auto\"", "{\"type\": \"auto\"}"),
                Arguments.of("\"none\"", "{\"type\": \"none\"}"),
                Arguments.of("\"required\"", "{\"type\": \"any\"}"),
                Arguments.of("{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}",
                        "{\"type\": \"tool\", \"name\": \"get_weather\"}"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("toolChoices")
    void toolChoiceBecomesAnthropicsToolChoice(String openAi, String anthropic) throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}], "
                + "\"tool_choice\": " + openAi + "}");

        assertThat(sent.get("tool_choice")).isEqualTo(json.readTree(anthropic));
        assertThat(sent.get("tools")).isEqualTo(json.readTree("[{\"name\": \"get_weather\", \"input_schema\": "
                + "{\"type\": \"object\", \"properties\": {}}}]"));
    }

    @Test
    void refusingParallelToolCallsWithoutAToolChoiceSaysSoInAnAutoChoice() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}], "
                + "\"parallel_tool_calls\": false}");

        assertThat(sent.get("tool_choice"))
                .isEqualTo(json.readTree("{\"type\": \"auto\", \"disable_parallel_tool_use\": true}"));
    }

    @Test
    void withoutToolsNoToolChoiceIsSent() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"tool_choice\": \"none\", \"parallel_tool_calls\": true}");

        assertThat(sent.has("tools")).isFalse();
        assertThat(sent.has("tool_choice")).isFalse();
    }

    @Test
    void jsonObjectModeBecomesAnInstructionAfterTheCallersSystemText() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"system\", \"content\": \"Extract.\"}, "
                + "{\"role\": \"user\", \"content\": \"Ann is 30\"}], \"response_format\": {\"type\": \"json_object\"}}");

        assertThat(sent.get("system")).hasSize(2);
        assertThat(sent.at("/system/0/text").asText()).isEqualTo("Extract.");
        assertThat(sent.at("/system/1/text").asText()).isEqualTo(AnthropicDialect.JSON_INSTRUCTION);
        assertThat(sent.has("response_format")).isFalse();
        assertThat(sent.get("messages")).hasSize(1);
    }

    @Test
    void jsonSchemaModeIsTheApisStructuredOutput() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"Ann is 30\"}], "
                + "\"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"person\", "
                + "\"strict\": true, \"schema\": {\"type\": \"object\", \"properties\": {\"age\": "
                + "{\"type\": \"integer\"}}, \"required\": [\"age\"], \"additionalProperties\": false}}}}");

        assertThat(sent.has("system")).isFalse();
        assertThat(sent.get("output_config")).isEqualTo(json.readTree("{\"format\": {\"type\": \"json_schema\", "
                + "\"schema\": {\"type\": \"object\", \"properties\": {\"age\": {\"type\": \"integer\"}}, "
                + "\"required\": [\"age\"], \"additionalProperties\": false}}}"));
        assertThat(sent.has("response_format")).isFalse();
    }

    @Test
    void aTextResponseFormatAddsNothing() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"response_format\": {\"type\": \"text\"}}");

        assertThat(sent.has("system")).isFalse();
    }

    @Test
    void theUserOrItsSuccessorSafetyIdentifierBecomesMetadataUserId() throws IOException {
        String messages = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
        assertThat(wire("{\"model\": \"m\", " + messages + ", \"user\": \"u-1\"}").at("/metadata/user_id").asText())
                .isEqualTo("u-1");
        assertThat(wire("{\"model\": \"m\", " + messages + ", \"safety_identifier\": \"s-1\"}")
                .at("/metadata/user_id").asText()).isEqualTo("s-1");
        assertThat(wire("{\"model\": \"m\", " + messages + "}").has("metadata")).isFalse();
    }

    @Test
    void consecutiveTurnsOfOneRoleAreMergedAndEmptyOnesLeftOut() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": ["
                + "{\"role\": \"user\", \"content\": \"one\"},"
                + "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"two\"}]},"
                + "{\"role\": \"assistant\", \"content\": \"\"},"
                + "{\"role\": \"system\", \"content\": \"late system text\"},"
                + "{\"role\": \"user\", \"content\": \"three\"},"
                + "{\"role\": \"assistant\", \"content\": \"four\"},"
                + "{\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"five\"}, "
                + "{\"type\": \"refusal\", \"refusal\": \"no\"}]}]}");

        assertThat(sent.get("messages")).isEqualTo(json.readTree("["
                + "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"one\"}, "
                + "{\"type\": \"text\", \"text\": \"two\"}, {\"type\": \"text\", \"text\": \"three\"}]},"
                + "{\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"four\"}, "
                + "{\"type\": \"text\", \"text\": \"five\"}]}]"));
        assertThat(sent.get("system")).isEqualTo(json.readTree("[{\"type\": \"text\", \"text\": \"late system text\"}]"));
    }

    @Test
    void anAssistantTurnThatOnlyCallsToolsIsToolUseBlocksAndItsResultsShareOneUserTurn() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": ["
                + "{\"role\": \"user\", \"content\": \"weather in Paris and Rome?\"},"
                + "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": ["
                + "{\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"w\", \"arguments\": "
                + "\"{\\\"city\\\": \\\"Paris\\\"}\"}},"
                + "{\"id\": \"call_2\", \"type\": \"function\", \"function\": {\"name\": \"w\", \"arguments\": \"\"}}]},"
                + "{\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"18C\"},"
                + "{\"role\": \"tool\", \"tool_call_id\": \"call_2\", \"content\": \"\"}]}");

        assertThat(sent.get("messages")).isEqualTo(json.readTree("["
                + "{\"role\": \"user\", \"content\": \"weather in Paris and Rome?\"},"
                + "{\"role\": \"assistant\", \"content\": ["
                + "{\"type\": \"tool_use\", \"id\": \"call_1\", \"name\": \"w\", \"input\": {\"city\": \"Paris\"}},"
                + "{\"type\": \"tool_use\", \"id\": \"call_2\", \"name\": \"w\", \"input\": {}}]},"
                + "{\"role\": \"user\", \"content\": ["
                + "{\"type\": \"tool_result\", \"tool_use_id\": \"call_1\", \"content\": \"18C\"},"
                + "{\"type\": \"tool_result\", \"tool_use_id\": \"call_2\"}]}]"));
    }

    @Test
    void aPngDataUrlAndAPdfFileBecomeBase64SourcesAndCacheControlIsKept() throws IOException {
        JsonNode sent = wire("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": ["
                + "{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,iVBORw0KGgo=\"}},"
                + "{\"type\": \"file\", \"file\": {\"filename\": \"report.pdf\", "
                + "\"file_data\": \"data:application/pdf;base64,JVBERi0xLjc=\"}},"
                + "{\"type\": \"text\", \"text\": \"Summarise both.\", \"cache_control\": {\"type\": \"ephemeral\"}}]}]}");

        assertThat(sent.at("/messages/0/content")).isEqualTo(json.readTree("["
                + "{\"type\": \"image\", \"source\": {\"type\": \"base64\", \"media_type\": \"image/png\", "
                + "\"data\": \"iVBORw0KGgo=\"}},"
                + "{\"type\": \"document\", \"source\": {\"type\": \"base64\", \"media_type\": \"application/pdf\", "
                + "\"data\": \"JVBERi0xLjc=\"}, \"title\": \"report.pdf\"},"
                + "{\"type\": \"text\", \"text\": \"Summarise both.\", \"cache_control\": {\"type\": \"ephemeral\"}}]"));
    }

    static Stream<Arguments> untranslatable() {
        String user = "{\"role\": \"user\", \"content\": \"hi\"}";
        return Stream.of(
                Arguments.of("{\"model\": \"m\", \"messages\": [" + user + "], \"n\": 2}", "'n'"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": "
                        + "\"image_url\", \"image_url\": {\"url\": \"file:///tmp/cat.png\"}}]}]}",
                        "messages[0].content[0].image_url.url"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": "
                        + "\"input_audio\", \"input_audio\": {\"data\": \"AAAA\", \"format\": \"wav\"}}]}]}",
                        "messages[0].content[0]"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"system\", \"content\": [{\"type\": "
                        + "\"image_url\", \"image_url\": {\"url\": \"https://example.com/a.png\"}}]}, " + user + "]}",
                        "messages[0].content[0]"),
                Arguments.of("{\"model\": \"m\", \"messages\": [" + user + ", {\"role\": \"function\", \"name\": "
                        + "\"f\", \"content\": \"42\"}]}", "messages[1].role"),
                Arguments.of("{\"model\": \"m\", \"messages\": [" + user + ", {\"role\": \"assistant\", \"tool_calls\": "
                        + "[{\"id\": \"c\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": "
                        + "\"{not json\"}}]}]}", "messages[1].tool_calls[0].function.arguments"),
                Arguments.of("{\"model\": \"m\", \"messages\": [" + user + ", {\"role\": \"tool\", \"content\": \"x\"}]}",
                        "messages[1].tool_call_id"),
                Arguments.of("{\"model\": \"m\", \"messages\": [" + user + "], \"tools\": [{\"type\": \"custom\", "
                        + "\"custom\": {\"name\": \"grammar\"}}]}", "tools[0]"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("untranslatable")
    void whatTheMessagesApiCannotExpressIsTheCallersFaultNamingTheField(String body, String field) {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> wire(body));

        assertThat(failure).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.CALLER_FAULT);
        assertThat(failure.status()).isEqualTo(400);
        assertThat(failure.getMessage()).contains(field);
    }

    // ---------------------------------------------------------------- fromWire

    @Test
    void fromWireReadsADocumentedMessage() {
        ChatResponse response = dialect.fromWire(fixture("message.json"), "claude-3-7-sonnet");

        assertThat(response.id()).isEqualTo("msg_013Zva2CMHLNnXjNJJKqJ2EF");
        assertThat(response.object()).isEqualTo("chat.completion");
        assertThat(response.created()).isEqualTo(NOW.getEpochSecond());
        assertThat(response.model()).isEqualTo("claude-3-7-sonnet-20250219");
        assertThat(response.choices()).hasSize(1);
        ChatResponse.Choice choice = response.choices().get(0);
        assertThat(choice.index()).isZero();
        assertThat(choice.finishReason()).isEqualTo("stop");
        assertThat(choice.message().role()).isEqualTo("assistant");
        assertThat(choice.message().content().text()).isEqualTo("Hi! My name is Claude.");
        assertThat(choice.message().toolCalls()).isNull();
        assertThat(response.usage().promptTokens()).isEqualTo(2095);
        assertThat(response.usage().completionTokens()).isEqualTo(503);
        assertThat(response.usage().totalTokens()).isEqualTo(2598);
        assertThat(response.usage().extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isZero();
    }

    @Test
    void fromWireWritesTheShapeOpenAiClientsRead() throws IOException {
        ChatResponse response = dialect.fromWire(fixture("message.json"), "claude-3-7-sonnet");

        assertThat(json.readTree(json.writeValueAsBytes(response))).isEqualTo(json.readTree("""
                {"id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "object": "chat.completion", "created": 1741608000,
                 "model": "claude-3-7-sonnet-20250219",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi! My name is Claude."},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 2095, "completion_tokens": 503, "total_tokens": 2598,
                           "prompt_tokens_details": {"cached_tokens": 0}}}
                """));
    }

    @Test
    void toolUseBlocksBecomeToolCallsWithTheirIdsAndInputAsArgumentText() throws IOException {
        ChatResponse response = dialect.fromWire(fixture("message-tool-use.json"), "claude-sonnet-4-5");

        ChatResponse.Choice choice = response.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        assertThat(choice.message().text()).isEqualTo("I'll check the current weather in San Francisco for you.");
        JsonNode call = json.valueToTree(choice.message().toolCalls().get(0));
        assertThat(choice.message().toolCalls()).hasSize(1);
        assertThat(call.get("id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(call.get("type").asText()).isEqualTo("function");
        assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(call.at("/function/arguments").isTextual()).isTrue();
        assertThat(json.readTree(call.at("/function/arguments").asText()))
                .isEqualTo(json.readTree("{\"location\": \"San Francisco, CA\", \"unit\": \"celsius\"}"));
        assertThat(response.usage()).isNull();
    }

    @Test
    void anAnswerThatOnlyCallsToolsHasNullContentAsOpenAiSendsIt() {
        String body = "{\"id\": \"msg_01\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"claude-x\", "
                + "\"content\": [{\"type\": \"tool_use\", \"id\": \"toolu_1\", \"name\": \"f\", \"input\": {}}, "
                + "{\"type\": \"tool_use\", \"id\": \"toolu_2\", \"name\": \"g\", \"input\": {\"a\": [1, 2]}}], "
                + "\"stop_reason\": \"tool_use\", \"usage\": {\"input_tokens\": 5, \"output_tokens\": 7}}";

        ChatMessage message = dialect.fromWire(body.getBytes(StandardCharsets.UTF_8), "claude-x").choices().get(0)
                .message();

        assertThat(message.content()).isNull();
        assertThat(message.toolCalls()).hasSize(2);
        assertThat(message.toolCalls().get(0).function().arguments()).isEqualTo("{}");
        assertThat(message.toolCalls().get(1).function().arguments()).isEqualTo("{\"a\":[1,2]}");
    }

    @Test
    void cacheReadsAreCachedPromptTokensAndEveryInputTokenIsAPromptToken() {
        ChatResponse read = dialect.fromWire(fixture("message-cache-read.json"), "claude-sonnet-4-5");
        ChatResponse written = dialect.fromWire(fixture("message-cache-write.json"), "claude-sonnet-4-5");

        assertThat(read.usage().promptTokens()).isEqualTo(21 + 188086);
        assertThat(read.usage().completionTokens()).isEqualTo(393);
        assertThat(read.usage().totalTokens()).isEqualTo(21 + 188086 + 393);
        assertThat(read.usage().extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isEqualTo(188086);
        assertThat(written.usage().promptTokens()).isEqualTo(21 + 188086);
        assertThat(written.usage().extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isZero();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"message.json, stop", "message-stop-sequence.json, stop", "message-max-tokens.json, length",
            "message-tool-use.json, tool_calls", "message-refusal.json, content_filter"})
    void stopReasonsBecomeOpenAiFinishReasons(String fixture, String finishReason) {
        assertThat(dialect.fromWire(fixture(fixture), "claude").choices().get(0).finishReason())
                .isEqualTo(finishReason);
    }

    @ParameterizedTest
    @CsvSource({"end_turn, stop", "stop_sequence, stop", "pause_turn, stop", "max_tokens, length",
            "model_context_window_exceeded, length", "tool_use, tool_calls", "refusal, content_filter",
            "some_future_reason, stop"})
    void everyDocumentedStopReasonHasAFinishReason(String stopReason, String finishReason) {
        assertThat(AnthropicResponses.finishReason(stopReason)).isEqualTo(finishReason);
    }

    @Test
    void thinkingBlocksAreTheAnswersReasoningAndNotItsText() {
        String body = "{\"id\": \"msg_01\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"claude-x\", "
                + "\"content\": [{\"type\": \"thinking\", \"thinking\": \"Let me see.\", \"signature\": \"Eq\"}, "
                + "{\"type\": \"redacted_thinking\", \"data\": \"EmwKAhgBEgy\"}, "
                + "{\"type\": \"text\", \"text\": \"21\"}], \"stop_reason\": \"end_turn\", "
                + "\"usage\": {\"input_tokens\": 5, \"output_tokens\": 7}}";

        ChatMessage message = dialect.fromWire(body.getBytes(StandardCharsets.UTF_8), "claude-x").choices().get(0)
                .message();

        assertThat(message.content().text()).isEqualTo("21");
        assertThat(message.extra().get("reasoning_content").asText()).isEqualTo("Let me see.");
    }

    @ParameterizedTest
    @ValueSource(strings = {"message-truncated.json", "error-529-overloaded.json", "error-502-cloudflare.html"})
    void aBodyThatIsNotACompleteMessageIsABadResponse(String fixture) {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> dialect.fromWire(fixture(fixture), "claude"));

        assertThat(failure).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
        assertThat(failure.status()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "null", "[]", "{}", "{\"content\": null}", "{\"content\": \"text\"}"})
    void anEmptyOrShapelessBodyIsABadResponse(String body) {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> dialect.fromWire(body.getBytes(StandardCharsets.UTF_8), "claude"));

        assertThat(failure).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
    }

    // ---------------------------------------------------------------- classify

    static Stream<Arguments> documentedErrors() {
        return Stream.of(
                // fixture, status, headers, class, retry after, message fragment
                Arguments.of("error-400-invalid-request.json", 400, Map.of(), FailureClass.CALLER_FAULT, null,
                        "max_tokens: Field required"),
                Arguments.of("error-400-prompt-too-long.json", 400, Map.of(), FailureClass.CONTEXT_LENGTH, null,
                        "prompt is too long: 215000 tokens > 200000 maximum"),
                Arguments.of("error-400-context-limit.json", 400, Map.of(), FailureClass.CONTEXT_LENGTH, null,
                        "exceed context limit"),
                Arguments.of("error-400-content-filtering.json", 400, Map.of(), FailureClass.CONTENT_POLICY, null,
                        "content filtering policy"),
                Arguments.of("error-400-credit-balance.json", 400, Map.of(), FailureClass.AUTH, null,
                        "credit balance is too low"),
                Arguments.of("error-401-authentication.json", 401, Map.of(), FailureClass.AUTH, null,
                        "invalid x-api-key"),
                Arguments.of("error-403-permission.json", 403, Map.of(), FailureClass.AUTH, null,
                        "does not have permission"),
                Arguments.of("error-404-not-found.json", 404, Map.of(), FailureClass.BAD_RESPONSE, null,
                        "could not be found"),
                Arguments.of("error-413-request-too-large.json", 413, Map.of(), FailureClass.CALLER_FAULT, null,
                        "maximum allowed number of bytes"),
                Arguments.of("error-429-rate-limit.json", 429, Map.of("retry-after", "30"), FailureClass.RATE_LIMITED,
                        Duration.ofSeconds(30), "would exceed the rate limit"),
                Arguments.of("error-429-rate-limit.json", 429, Map.of(
                        "anthropic-ratelimit-requests-remaining", "12",
                        "anthropic-ratelimit-requests-reset", "2025-03-10T12:00:05Z",
                        "anthropic-ratelimit-input-tokens-remaining", "0",
                        "anthropic-ratelimit-input-tokens-reset", "2025-03-10T12:00:40Z",
                        "anthropic-ratelimit-output-tokens-remaining", "0",
                        "anthropic-ratelimit-output-tokens-reset", "2025-03-10T12:00:12Z"),
                        FailureClass.RATE_LIMITED, Duration.ofSeconds(40), "would exceed the rate limit"),
                Arguments.of("error-429-rate-limit.json", 429, Map.of(), FailureClass.RATE_LIMITED, null,
                        "would exceed the rate limit"),
                Arguments.of("error-500-api-error.json", 500, Map.of(), FailureClass.UNAVAILABLE, null,
                        "Internal server error"),
                Arguments.of("error-529-overloaded.json", 529, Map.of(), FailureClass.UNAVAILABLE, null,
                        "Overloaded"),
                Arguments.of("error-529-overloaded.json", 529, Map.of("retry-after", "5"), FailureClass.UNAVAILABLE,
                        Duration.ofSeconds(5), "Overloaded"),
                Arguments.of("error-502-cloudflare.html", 502, Map.of(), FailureClass.UNAVAILABLE, null, "HTTP 502"));
    }

    @ParameterizedTest(name = "{1} {0} {2} -> {3}")
    @MethodSource("documentedErrors")
    void classifiesAnthropicsDocumentedErrors(String fixture, int status, Map<String, String> headers,
            FailureClass expected, Duration retryAfter, String message) {
        ProviderFailure failure = dialect.classify(status, fixture(fixture), headers);

        assertThat(failure.failureClass()).isEqualTo(expected);
        assertThat(failure.status()).isEqualTo(status);
        assertThat(failure.getMessage()).contains(message);
        if (retryAfter == null) {
            assertThat(failure.retryAfter()).isEmpty();
        } else {
            assertThat(failure.retryAfter()).hasValue(retryAfter);
        }
    }

    @Test
    void aSpendLimitRateLimitIsAnAccountProblemNotAWait() {
        byte[] body = ("{\"type\": \"error\", \"error\": {\"type\": \"rate_limit_error\", \"message\": \"You have "
                + "reached your specified API usage limits.\", \"details\": {\"error_code\": "
                + "\"enforced_spend_limit_reached\"}}}").getBytes(StandardCharsets.UTF_8);

        assertThat(dialect.classify(429, body, Map.of()).failureClass()).isEqualTo(FailureClass.AUTH);
    }

    static Stream<Arguments> bodiesWithoutAKnownType() {
        return Stream.of(
                Arguments.of(400, "", FailureClass.CALLER_FAULT),
                Arguments.of(402, "{\"type\":\"error\",\"error\":{\"type\":\"billing_error\",\"message\":\"\"}}",
                        FailureClass.AUTH),
                Arguments.of(404, "{\"detail\": \"Not Found\"}", FailureClass.BAD_RESPONSE),
                Arguments.of(408, "", FailureClass.TIMEOUT),
                Arguments.of(409, "{\"type\":\"error\",\"error\":{\"type\":\"conflict_error\",\"message\":\"\"}}",
                        FailureClass.CALLER_FAULT),
                Arguments.of(429, "Too Many Requests", FailureClass.RATE_LIMITED),
                Arguments.of(503, "{\"type\":\"error\",\"error\":{\"type\":\"brand_new_error\",\"message\":\"\"}}",
                        FailureClass.UNAVAILABLE),
                Arguments.of(504, "{\"type\":\"error\",\"error\":{\"type\":\"timeout_error\",\"message\":\"\"}}",
                        FailureClass.UNAVAILABLE),
                Arguments.of(529, "{\"type\":\"error\"}", FailureClass.UNAVAILABLE));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bodiesWithoutAKnownType")
    void aBodyWithoutAMessageIsClassifiedByTypeOrStatus(int status, String body, FailureClass expected) {
        ProviderFailure failure = dialect.classify(status, body.getBytes(StandardCharsets.UTF_8), Map.of());

        assertThat(failure.failureClass()).isEqualTo(expected);
        assertThat(failure.getMessage()).isEqualTo("HTTP " + status);
    }

    @Test
    void anInvalidRequestTypeOnAnotherStatusIsClassifiedByThatStatus() {
        byte[] body = "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"slow down\"}}"
                .getBytes(StandardCharsets.UTF_8);

        assertThat(dialect.classify(429, body, Map.of()).failureClass()).isEqualTo(FailureClass.RATE_LIMITED);
        assertThat(dialect.classify(422, body, Map.of()).failureClass()).isEqualTo(FailureClass.CALLER_FAULT);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404})
    void aRetryAfterHeaderIsIgnoredWhenTheFailureIsNotAboutLoad(int status) {
        ProviderFailure failure = dialect.classify(status, fixture("error-400-invalid-request.json"),
                Map.of("retry-after", "30"));

        assertThat(failure.retryAfter()).isEmpty();
    }

    @Test
    void aRateLimitResetInThePastMeansRetryNow() {
        ProviderFailure failure = dialect.classify(429, fixture("error-429-rate-limit.json"), Map.of(
                "anthropic-ratelimit-requests-remaining", "0",
                "anthropic-ratelimit-requests-reset", "2025-03-10T11:59:00Z"));

        assertThat(failure.retryAfter()).hasValue(Duration.ZERO);
    }
}
