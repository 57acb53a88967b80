package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.SseException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import dev.caravan.testing.SdkClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The official OpenAI Java SDK as a client of the gateway, in front of one simulated provider per dialect: whatever
 * wire the provider speaks, the SDK gets OpenAI answers and OpenAI streams, and sees the error of a broken stream.
 */
class OpenAiSdkGatewayTest {

    /** Provider name and dialect; each provider is also a model alias of its own, so a request reaches only it. */
    static final List<String> DIALECTS = List.of("openai", "anthropic", "gemini");

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            DIALECTS.stream().map(d -> "via-" + d + ":" + d).toList(), props());

    static OpenAIClient client;

    static Stream<String> providers() {
        return DIALECTS.stream();
    }

    /** Each dialect's provider behind a model alias of the dialect's name. */
    private static Map<String, String> props() {
        Map<String, String> props = new LinkedHashMap<>(Gateway.props(
                "caravan.breaker.minimum-calls", "1000", "caravan.breaker.sliding-window-size", "1000"));
        DIALECTS.forEach(d -> props.put("caravan.model." + d, "via-" + d + ":model-" + d));
        return props;
    }

    @BeforeAll
    static void connect() {
        client = SdkClients.openAi(SdkClients.gateway(gateway.port()) + "/v1", "unused-by-the-gateway");
    }

    @AfterAll
    static void stop() {
        client.close();
    }

    private static ChatCompletionCreateParams.Builder ask(String dialect, String prompt) {
        return ChatCompletionCreateParams.builder().model(dialect).addUserMessage(prompt);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void answersWhole(String dialect) {
        ChatCompletion completion = client.chat().completions().create(ask(dialect, "a whole answer").build());

        completion.validate();
        assertThat(completion.model()).isEqualTo("model-" + dialect);
        assertThat(completion.choices().getFirst().message().content())
                .hasValue("Simulated reply from via-" + dialect + " (model-" + dialect + ") to: a whole answer");
        assertThat(completion.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(completion.usage()).hasValueSatisfying(u -> assertThat(u.totalTokens()).isPositive());
    }

    @ParameterizedTest
    @MethodSource("providers")
    void streams(String dialect) {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ask(dialect, "a streamed answer")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                accumulator.accumulate(chunk);
            });
        }

        ChatCompletion completion = accumulator.chatCompletion();
        assertThat(chunks).hasSizeGreaterThan(3);
        assertThat(completion.choices().getFirst().message().content())
                .hasValue("Simulated reply from via-" + dialect + " (model-" + dialect + ") to: a streamed answer");
        assertThat(completion.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(completion.usage()).hasValueSatisfying(u -> assertThat(u.completionTokens()).isPositive());
    }

    @ParameterizedTest
    @MethodSource("providers")
    void streamsAToolCall(String dialect) {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ask(dialect, "please call get_weather for Paris").addTool(weatherTool()).build())) {
            stream.stream().forEach(accumulator::accumulate);
        }

        ChatCompletion.Choice choice = accumulator.chatCompletion().choices().getFirst();
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        var call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).contains("Paris");
        assertThat(call.id()).isNotBlank();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void seesTheErrorOfAStreamBrokenAfterItsFirstContent(String dialect) {
        gateway.provider("via-" + dialect).fail(Fault.streaming(StreamFault.none().cutAfter(3)));
        StringBuilder text = new StringBuilder();

        Throwable thrown = catchThrowable(() -> {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                    ask(dialect, "an answer that breaks").build())) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
            }
        });

        assertThat(text.toString()).startsWith("Simulated reply from");
        assertThat(thrown).isInstanceOf(SseException.class).hasMessageContaining("The answer was cut off");
    }

    private static ChatCompletionFunctionTool weatherTool() {
        return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                .name("get_weather")
                .description("The weather in a city")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .build())
                .build()).build();
    }
}
