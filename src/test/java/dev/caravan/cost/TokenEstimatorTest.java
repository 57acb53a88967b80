package dev.caravan.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Tool;
import dev.caravan.chat.Content;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.cost.TokenEstimator.Estimate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokenEstimatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenEstimator estimator = new TokenEstimator();

    /** The example conversation of OpenAI's cookbook "How to count tokens with tiktoken", section 6. */
    static ChatRequest cookbookConversation() {
        List<ChatMessage> messages = new ArrayList<>();
        messages.add(ChatMessage.of("system",
                "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."));
        messages.add(named("example_user", "New synergies will help drive top-line growth."));
        messages.add(named("example_assistant", "Things working well together will increase revenue."));
        messages.add(named("example_user",
                "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."));
        messages.add(named("example_assistant", "Let's talk later when we're less busy about how to do better."));
        messages.add(ChatMessage.of("user",
                "This late pivot means we don't have time to boil the ocean for the client deliverable."));
        return request(messages, null);
    }

    /** The cookbook's tool example, section 7: one weather function with an enum, and a two-message chat. */
    static ChatRequest cookbookToolCall() {
        JsonNode tools = json("""
                [{"type": "function", "function": {
                    "name": "get_current_weather",
                    "description": "Get the current weather in a given location",
                    "parameters": {"type": "object", "properties": {
                        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                        "unit": {"type": "string", "description": "The unit of temperature to return",
                                 "enum": ["celsius", "fahrenheit"]}},
                      "required": ["location"]}}}]""");
        return request(List.of(
                ChatMessage.of("system", "You are a helpful assistant that can answer to questions about the weather."),
                ChatMessage.of("user", "What's the weather like in San Francisco?")), tools);
    }

    static Stream<Arguments> documentedCounts() {
        // model, the prompt_tokens the cookbook shows the API reporting, the encoding
        return Stream.of(
                Arguments.of("gpt-3.5-turbo", 129, "cl100k_base"),
                Arguments.of("gpt-4-0613", 129, "cl100k_base"),
                Arguments.of("gpt-4", 129, "cl100k_base"),
                Arguments.of("gpt-4o", 124, "o200k_base"),
                Arguments.of("gpt-4o-mini", 124, "o200k_base"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("documentedCounts")
    void countsTheCookbookConversationAsTheOpenAiApiDid(String model, int documented, String encoding) {
        assertThat(estimator.estimate(cookbookConversation(), "openai", model))
                .isEqualTo(new Estimate(documented, encoding, false));
    }

    @Test
    void countsTheCookbookToolRequestAsTheOpenAiApiDid() {
        assertThat(estimator.estimate(cookbookToolCall(), "openai", "gpt-4o"))
                .isEqualTo(new Estimate(101, "o200k_base", false));
        assertThat(estimator.estimate(cookbookToolCall(), "openai", "gpt-4o-mini"))
                .isEqualTo(new Estimate(101, "o200k_base", false));
        assertThat(estimator.estimate(cookbookToolCall(), "openai", "gpt-4"))
                .isEqualTo(new Estimate(105, "cl100k_base", false));
        assertThat(estimator.estimate(cookbookToolCall(), "openai", "gpt-3.5-turbo"))
                .isEqualTo(new Estimate(105, "cl100k_base", false));
    }

    @Test
    void aRequestsTargetsCountTheirModelOnceAndEachModelAsItsOwn() {
        Map<Object, Estimate> counted = new HashMap<>();
        Estimate atOpenAi = estimator.estimate(cookbookToolCall(), "openai", "gpt-4o-mini", counted);
        Estimate atAzure = estimator.estimate(cookbookToolCall(), "openai", "gpt-4o-mini", counted);
        Estimate older = estimator.estimate(cookbookToolCall(), "openai", "gpt-4", counted);
        Estimate claude = estimator.estimate(cookbookToolCall(), "anthropic", "claude-sonnet-4-5", counted);

        assertThat(atAzure).isSameAs(atOpenAi).isEqualTo(new Estimate(101, "o200k_base", false));
        assertThat(older).isEqualTo(new Estimate(105, "cl100k_base", false));
        assertThat(claude).isEqualTo(estimator.estimate(cookbookToolCall(), "anthropic", "claude-sonnet-4-5"));
        assertThat(counted).hasSize(3);
    }

    @Test
    void newerOpenAiModelsUseO200kThoughTheTokenizerRegistryReadsGpt41AsGpt4() {
        for (String model : List.of("gpt-4.1", "gpt-4.1-mini-2025-04-14", "o3", "o4-mini", "gpt-5-nano",
                "chatgpt-4o-latest", "gpt-4o-2024-08-06")) {
            assertThat(estimator.estimate(cookbookConversation(), "openai", model))
                    .as(model).isEqualTo(new Estimate(124, "o200k_base", false));
        }
    }

    @Test
    void claudeIsCountedWithO200kTimesItsCorrectionFactorAndIsApproximate() {
        // 124 o200k tokens x 1.20 = 148.8
        assertThat(estimator.estimate(cookbookConversation(), "anthropic", "claude-sonnet-4-5"))
                .isEqualTo(new Estimate(149, "o200k_base", true));
        assertThat(estimator.estimate(cookbookConversation(), "openai", "anthropic/claude-sonnet-4.5"))
                .isEqualTo(new Estimate(149, "o200k_base", true));
        assertThat(estimator.estimate(cookbookConversation(), "anthropic", "some-future-model"))
                .isEqualTo(new Estimate(149, "o200k_base", true));
    }

    @Test
    void geminiIsCountedWithO200kAndIsApproximate() {
        assertThat(estimator.estimate(cookbookConversation(), "gemini", "gemini-2.5-flash"))
                .isEqualTo(new Estimate(124, "o200k_base", true));
    }

    @Test
    void llamaAndUnknownModelsAreCountedWithCl100kAndAreApproximate() {
        assertThat(estimator.estimate(cookbookConversation(), "openai", "llama-3.3-70b-versatile"))
                .isEqualTo(new Estimate(129, "cl100k_base", true));
        assertThat(estimator.estimate(cookbookConversation(), "openai", "meta-llama/Llama-3.2-3B-Instruct-Turbo"))
                .isEqualTo(new Estimate(129, "cl100k_base", true));
        assertThat(estimator.estimate(cookbookConversation(), "openai", "mistral-small-latest"))
                .isEqualTo(new Estimate(129, "cl100k_base", true));
    }

    @Test
    void anImageCostsTheFlatEstimateOfA1024SquareImageAndMakesTheCountApproximate() {
        Estimate text = estimator.estimate(withImage("low", false), "openai", "gpt-4o");
        Estimate low = estimator.estimate(withImage("low", true), "openai", "gpt-4o");
        Estimate high = estimator.estimate(withImage("high", true), "openai", "gpt-4o");
        Estimate mini = estimator.estimate(withImage("high", true), "openai", "gpt-4o-mini");
        Estimate claude = estimator.estimate(withImage("high", true), "anthropic", "claude-haiku-4-5");
        Estimate claudeText = estimator.estimate(withImage("high", false), "anthropic", "claude-haiku-4-5");

        assertThat(text.approximate()).isFalse();
        assertThat(low.promptTokens() - text.promptTokens()).isEqualTo(85);
        assertThat(high.promptTokens() - text.promptTokens()).isEqualTo(765);
        assertThat(mini.promptTokens() - text.promptTokens()).isEqualTo(2833 + 5667 * 4);
        assertThat(claude.promptTokens() - claudeText.promptTokens()).isEqualTo(1398);
        assertThat(List.of(low, high, mini, claude)).allMatch(Estimate::approximate);
    }

    @Test
    void toolCallsAndToolResultsAreCountedAsTextAndMakeTheCountApproximate() {
        ChatRequest plain = request(List.of(ChatMessage.of("user", "Weather in Boston?")), null);
        ChatMessage call = new ChatMessage("assistant", null, null, List.of(ToolCall.function("call_abc123",
                "get_current_weather", "{\"location\": \"Boston, MA\"}")), null, Map.of());
        ChatMessage result = new ChatMessage("tool", Content.of("{\"temperature\": 22}"), null, null,
                "call_abc123", Map.of());
        ChatRequest withTools = request(List.of(ChatMessage.of("user", "Weather in Boston?"), call, result), null);

        Estimate before = estimator.estimate(plain, "openai", "gpt-4o");
        Estimate after = estimator.estimate(withTools, "openai", "gpt-4o");

        assertThat(before.approximate()).isFalse();
        assertThat(after.approximate()).isTrue();
        assertThat(after.promptTokens()).isGreaterThan(before.promptTokens() + 2 * 3 + 10);
    }

    @Test
    void textThatLooksLikeASpecialTokenIsCountedAsOrdinaryText() {
        ChatRequest request = request(List.of(ChatMessage.of("user", "say <|endoftext|> twice")), null);

        assertThat(estimator.estimate(request, "openai", "gpt-4o").promptTokens()).isGreaterThan(3 + 1 + 3);
    }

    @Test
    void anEmptyRequestCostsTheReplyPrimerOnly() {
        assertThat(estimator.estimate(request(List.of(), null), "openai", "gpt-4o"))
                .isEqualTo(new Estimate(3, "o200k_base", false));
    }

    private static ChatRequest withImage(String detail, boolean image) {
        List<Map<String, Object>> parts = new ArrayList<>();
        parts.add(Map.of("type", "text", "text", "What is in this image?"));
        if (image) {
            parts.add(Map.of("type", "image_url",
                    "image_url", Map.of("url", "https://example.com/cat.png", "detail", detail)));
        }
        return request(List.of(new ChatMessage("user", JSON.convertValue(parts, Content.class), null, null, null, Map.of())), null);
    }

    private static ChatMessage named(String name, String text) {
        return new ChatMessage("system", Content.of(text), name, null, null, Map.of());
    }

    private static ChatRequest request(List<ChatMessage> messages, JsonNode tools) {
        return new ChatRequest("any", messages, null, null, null, null, null, null,
                tools == null ? null : List.of(JSON.convertValue(tools, Tool[].class)), null, null, null);
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
