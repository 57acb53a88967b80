package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.ThinkingBlock;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.genai.Client;
import com.google.genai.types.GenerateContentConfig;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.HttpOptions;
import com.google.genai.types.HttpRetryOptions;
import com.google.genai.types.ThinkingConfig;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.Reasoning;
import com.openai.models.ReasoningEffort;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What crosses from one protocol to another target's, through the gateway with each protocol's official SDK: reasoning
 * asked through Responses or Gemini thinks on an Anthropic target; a Messages client's thinking blocks with their
 * signatures, and its {@code anthropic-beta} and {@code anthropic-version}, go to Anthropic as they came (and to no
 * other target); a request needing what a target's wire cannot say goes to one that can, else is refused by name.
 */
class CrossingGatewayTest {

    static final List<String> DIALECTS = List.of("anthropic", "openai", "gemini");
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            DIALECTS.stream().map(d -> "via-" + d + ":" + d).toList(), props());

    static AnthropicClient anthropic;
    static OpenAIClient openAi;
    static Client gemini;

    /**
     * Each dialect's provider behind a model alias of the dialect's name; {@code claude-first} tries Anthropic, then
     * Gemini, then OpenAI. No model table: what a target cannot serve is its wire format's doing.
     */
    private static Map<String, String> props() {
        Map<String, String> props = new LinkedHashMap<>(Gateway.props("caravan.routing.policy", "priority",
                "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000"));
        DIALECTS.forEach(d -> props.put("caravan.model." + d, "via-" + d + ":model-" + d));
        props.put("caravan.model.claude-first", "via-anthropic:model-anthropic, via-gemini:model-gemini, "
                + "via-openai:model-openai");
        return props;
    }

    @BeforeAll
    static void connect() {
        String base = "http://127.0.0.1:" + gateway.port();
        // no retries anywhere: an SDK retrying by itself would hide what one call returned
        anthropic = AnthropicOkHttpClient.builder().baseUrl(base).apiKey("sk-ant-client").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
        openAi = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("unused").maxRetries(0).build();
        gemini = Client.builder().apiKey("unused").httpOptions(HttpOptions.builder().baseUrl(base)
                .apiVersion("v1beta").retryOptions(HttpRetryOptions.builder().attempts(1).build()).build()).build();
    }

    @AfterAll
    static void disconnect() {
        anthropic.close();
        openAi.close();
        gemini.close();
    }

    private static JsonNode sent(String dialect) {
        return gateway.provider("via-" + dialect).lastBody();
    }

    @Test
    void aResponsesReasoningEffortThinksOnAnAnthropicTargetAndItsThinkingComesBackAsReasoning() {
        Response response = openAi.responses().create(ResponseCreateParams.builder().model("anthropic")
                .input("Why is the sky blue?").maxOutputTokens(1000)
                .reasoning(Reasoning.builder().effort(ReasoningEffort.HIGH).build()).build());

        assertThat(sent("anthropic").path("thinking"))
                .isEqualTo(JSON.createObjectNode().put("type", "enabled").put("budget_tokens", 24576));
        assertThat(sent("anthropic").path("max_tokens").asInt()).isEqualTo(24576 + 1000);
        assertThat(response.output()).anyMatch(item -> item.isReasoning());
    }

    @Test
    void aGeminiThinkingBudgetAndTopKReachAnAnthropicTargetAndItsThinkingComesBackAsThoughts() {
        GenerateContentResponse response = gemini.models.generateContent("anthropic", "Why is the sky blue?",
                GenerateContentConfig.builder().maxOutputTokens(8000).topK(20f)
                        .thinkingConfig(ThinkingConfig.builder().thinkingBudget(3000).includeThoughts(true).build())
                        .build());

        assertThat(sent("anthropic").path("thinking"))
                .isEqualTo(JSON.createObjectNode().put("type", "enabled").put("budget_tokens", 3000));
        assertThat(sent("anthropic").path("top_k").asInt()).isEqualTo(20);
        assertThat(response.parts()).anyMatch(part -> part.thought().orElse(false));
    }

    private static Tool weatherTool() {
        return Tool.builder().name("get_weather").description("Get the current weather in a given location")
                .inputSchema(Tool.InputSchema.builder()
                        .properties(JsonValue.from(Map.of("location", Map.of("type", "string"))))
                        .required(List.of("location")).build())
                .build();
    }

    private static MessageCreateParams thinkingWithTools(String model) {
        return MessageCreateParams.builder().model(model).maxTokens(4096).enabledThinking(2048)
                .addTool(weatherTool()).addUserMessage("Use get_weather for Paris").build();
    }

    /** The next turn: the answer as it came, then the tool's result. */
    private static MessageCreateParams nextTurn(MessageCreateParams asked, Message answer) {
        ToolUseBlock call = answer.content().stream().flatMap(b -> b.toolUse().stream()).findFirst().orElseThrow();
        return asked.toBuilder().addMessage(answer).addUserMessageOfContentBlockParams(List.of(
                ContentBlockParam.ofToolResult(ToolResultBlockParam.builder().toolUseId(call.id())
                        .content("18 degrees and sunny").build()))).build();
    }

    @Test
    void aMessagesClientsThinkingBlockWithItsSignatureGoesBackToAnAnthropicTargetAsItCame() throws Exception {
        MessageCreateParams asked = thinkingWithTools("anthropic");
        Message first = anthropic.messages().create(asked);

        first.validate();
        assertThat(first.stopReason()).hasValue(StopReason.TOOL_USE);
        ThinkingBlock thinking = first.content().getFirst().thinking().orElseThrow();
        assertThat(thinking.signature()).isNotEmpty();

        Message second = anthropic.messages().create(nextTurn(asked, first));

        second.validate();
        assertThat(second.stopReason()).hasValue(StopReason.END_TURN);
        JsonNode resent = sent("anthropic").path("messages").get(1).path("content").get(0);
        assertThat(resent).isEqualTo(JSON.createObjectNode().put("type", "thinking")
                .put("thinking", thinking.thinking()).put("signature", thinking.signature()));
    }

    @Test
    void aStreamedThinkingBlockKeepsItsSignatureForTheNextTurn() throws Exception {
        MessageCreateParams asked = thinkingWithTools("anthropic");
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(asked)) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message first = accumulator.message();
        String signature = first.content().getFirst().thinking().orElseThrow().signature();

        assertThat(signature).isNotEmpty();
        anthropic.messages().create(nextTurn(asked, first));

        assertThat(sent("anthropic").path("messages").get(1).path("content").get(0).path("signature").asText())
                .isEqualTo(signature);
    }

    @Test
    void onAnOpenAiTargetTheThinkingBlocksAreLeftOut() throws Exception {
        MessageCreateParams toAnthropic = thinkingWithTools("anthropic");
        Message first = anthropic.messages().create(toAnthropic);
        String signature = first.content().getFirst().thinking().orElseThrow().signature();

        Message second = anthropic.messages().create(nextTurn(toAnthropic, first).toBuilder().model("openai").build());

        second.validate();
        assertThat(sent("openai").toString()).doesNotContain(signature).doesNotContain("thinking_blocks");
        assertThat(sent("openai").path("reasoning_effort").asText()).isEqualTo("medium");
    }

    private static long chatCalls(String dialect) {
        return gateway.provider("via-" + dialect).chatCalls();
    }

    @Test
    void jsonSchemaOutputIsAskedOfAnAnthropicTargetAsItsStructuredOutput() throws Exception {
        HttpResponse<String> response = gateway.chat("""
                {"model":"claude-first","messages":[{"role":"user","content":"Forecast for Oslo"}],
                 "response_format":{"type":"json_schema","json_schema":{"name":"forecast","strict":true,
                   "schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],
                     "additionalProperties":false}}}}""");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("via-anthropic");
        assertThat(sent("anthropic").at("/output_config/format/schema/required").toString()).isEqualTo("[\"city\"]");
        assertThat(JSON.readTree(Gateway.json(response).at("/choices/0/message/content").asText()).has("city"))
                .isTrue();
    }

    @Test
    void audioInputAndLogprobsGoOnlyWhereTheWireCarriesThem() {
        HttpResponse<String> audio = gateway.chat("""
                {"model":"claude-first","messages":[{"role":"user","content":[{"type":"text","text":"Transcribe"},
                  {"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZF","format":"wav"}}]}]}""");
        HttpResponse<String> logprobs = gateway.chat("""
                {"model":"claude-first","logprobs":true,"top_logprobs":2,
                 "messages":[{"role":"user","content":"Hello"}]}""");

        assertThat(audio.statusCode()).isEqualTo(200);
        assertThat(audio.headers().firstValue("x-caravan-provider")).hasValue("via-gemini");
        assertThat(logprobs.statusCode()).isEqualTo(200);
        assertThat(logprobs.headers().firstValue("x-caravan-provider")).hasValue("via-openai");
        assertThat(Gateway.json(logprobs).at("/choices/0/logprobs/content").isArray()).isTrue();
    }

    @Test
    void aFeatureNoTargetOfTheAliasCarriesIsA400NamingItInTheClientsProtocol() {
        long before = chatCalls("anthropic");
        HttpResponse<String> chat = gateway.chat("""
                {"model":"anthropic","n":2,"messages":[{"role":"user","content":"Hello"}]}""");
        HttpResponse<String> gemini = gateway.post("/v1beta/models/anthropic:generateContent", """
                {"contents":[{"parts":[{"text":"Forecast"}]}],"generationConfig":{"candidateCount":2}}""", Map.of());

        assertThat(chat.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(chat).at("/error/code").asText()).isEqualTo("unsupported_feature");
        assertThat(Gateway.json(chat).at("/error/param").asText()).isEqualTo("n");
        assertThat(Gateway.json(chat).at("/error/message").asText())
                .contains("via-anthropic:model-anthropic lacks several choices (n)");
        assertThat(gemini.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(gemini).at("/error/status").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(Gateway.json(gemini).at("/error/message").asText()).contains("several choices");
        assertThat(chatCalls("anthropic")).isEqualTo(before);
    }

    @Test
    void aMessagesClientsAnthropicBetaAndVersionReachTheAnthropicTargetOnly() {
        Message claude = anthropic.messages().create(MessageCreateParams.builder().model("anthropic").maxTokens(64)
                .addUserMessage("Hello").putAdditionalHeader("anthropic-beta", "context-1m-2025-08-07,files-api-2025-04-14")
                .build());
        Map<String, List<String>> fromSdk = gateway.provider("via-anthropic").lastChatHeaders();
        HttpResponse<String> dated = gateway.post("/v1/messages", """
                {"model":"anthropic","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""",
                Map.of("anthropic-version", "2023-01-01", "anthropic-beta", "output-128k-2025-02-19"));
        Map<String, List<String>> fromCurl = gateway.provider("via-anthropic").lastChatHeaders();
        HttpResponse<String> crossed = gateway.post("/v1/messages", """
                {"model":"openai","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""",
                Map.of("anthropic-version", "2023-01-01", "anthropic-beta", "output-128k-2025-02-19"));

        claude.validate();
        assertThat(fromSdk.get("anthropic-beta")).containsExactly("context-1m-2025-08-07,files-api-2025-04-14");
        assertThat(dated.statusCode()).isEqualTo(200);
        assertThat(fromCurl.get("anthropic-version")).containsExactly("2023-01-01");
        assertThat(fromCurl.get("anthropic-beta")).containsExactly("output-128k-2025-02-19");
        assertThat(crossed.statusCode()).isEqualTo(200);
        assertThat(gateway.provider("via-openai").lastChatHeaders()).doesNotContainKeys("anthropic-beta",
                "anthropic-version");
        assertThat(sent("openai").toString()).doesNotContain("caravan_client_headers");
    }

    @Test
    void aChatBodyFieldNamedLikeTheClientHeadersNeverBecomesAHeader() {
        HttpResponse<String> chat = gateway.chat("""
                {"model":"anthropic","messages":[{"role":"user","content":"hi"}],
                 "caravan_client_headers":{"anthropic-beta":"x","anthropic-version":"2023-01-01"}}""");

        assertThat(chat.statusCode()).isEqualTo(200);
        Map<String, List<String>> headers = gateway.provider("via-anthropic").lastChatHeaders();
        assertThat(headers).doesNotContainKey("anthropic-beta");
        assertThat(headers.get("anthropic-version")).doesNotContain("2023-01-01");
        assertThat(sent("anthropic").has("caravan_client_headers")).isFalse();
    }

    @Test
    void aBetaHeaderWithCharactersNoBetaNameHasIsRefusedByName() {
        HttpResponse<String> response = gateway.post("/v1/messages", """
                {"model":"anthropic","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""",
                Map.of("anthropic-beta", "files-api;x=\"y\""));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("'anthropic-beta'");
    }
}
