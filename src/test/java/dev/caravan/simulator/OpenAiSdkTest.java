package dev.caravan.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.caravan.testing.SdkClients;
import dev.caravan.testing.SimulatorExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.RateLimitException;
import com.openai.errors.SseException;
import com.openai.errors.UnauthorizedException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official OpenAI Java SDK as a client of the simulator: if the SDK parses what the simulator sends (answers,
 * tool calls, streams, errors) the simulator speaks the real wire, and what the gateway learns against it holds
 * against OpenAI.
 */
class OpenAiSdkTest {

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of().add("openai", "sk-test");

    static OpenAIClient client;

    @BeforeAll
    static void start() {
        client = client("sk-test");
    }

    @AfterAll
    static void stop() {
        client.close();
    }

    /** The SDK's own retries are off: a fault must reach the test as the SDK reports it, once. */
    static OpenAIClient client(String key) {
        return SdkClients.openAi(sim.baseUrl("openai"), key);
    }

    static ChatCompletionCreateParams.Builder ask(String prompt) {
        return ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage(prompt);
    }

    @Test
    void parsesACompletion() {
        ChatCompletion completion = client.chat().completions().create(ask("Say hello").build());

        assertThat(completion.model()).isEqualTo("gpt-4o-mini");
        assertThat(completion.id()).isNotBlank();
        assertThat(completion.choices()).hasSize(1);
        ChatCompletion.Choice choice = completion.choices().get(0);
        assertThat(choice.message().content()).hasValueSatisfying(
                text -> assertThat(text).startsWith("Simulated reply from openai (gpt-4o-mini)").endsWith("Say hello"));
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(completion.systemFingerprint()).hasValue("fp_simulated");
        assertThat(completion.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.promptTokens()).isPositive();
            assertThat(usage.completionTokens()).isPositive();
            assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
            assertThat(usage.promptTokensDetails()).hasValueSatisfying(
                    details -> assertThat(details.cachedTokens()).hasValue(0L));
            assertThat(usage.completionTokensDetails()).hasValueSatisfying(
                    details -> assertThat(details.reasoningTokens()).hasValue(0L));
        });
        // validate() throws when a required field is missing or has the wrong type
        assertThat(completion.validate().isValid()).isTrue();
    }

    @Test
    void parsesAToolCall() {
        ChatCompletion completion = client.chat().completions().create(ask("Use get_weather for Paris")
                .addTool(weatherTool()).build());

        ChatCompletion.Choice choice = completion.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(choice.message().content()).isEmpty();
        assertThat(choice.message().toolCalls()).hasValueSatisfying(calls -> {
            assertThat(calls).hasSize(1);
            ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
            assertThat(call.id()).startsWith("call_");
            assertThat(call.function().name()).isEqualTo("get_weather");
            assertThat(call.function().arguments()).isEqualTo("{\"query\":\"Use get_weather for Paris\"}");
        });
        assertThat(completion.validate().isValid()).isTrue();
    }

    @Test
    void accumulatesAStreamWithUsageInItsLastChunk() {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ask("Stream to me").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                        .build())) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                accumulator.accumulate(chunk);
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
            });
        }

        assertThat(chunks.get(0).choices().get(0).delta().role())
                .hasValue(ChatCompletionChunk.Choice.Delta.Role.ASSISTANT);
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.model()).isEqualTo("gpt-4o-mini");
            assertThat(chunk.id()).isEqualTo(chunks.get(0).id());
        });
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
            assertThat(usage.promptTokensDetails().flatMap(d -> d.cachedTokens())).hasValue(0L);
        });
        // every chunk before the usage chunk carries usage: null, as OpenAI sends it with include_usage
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(chunk -> assertThat(chunk.usage()).isEmpty());

        ChatCompletion whole = accumulator.chatCompletion();
        assertThat(whole.choices().get(0).message().content()).hasValue(text.toString());
        assertThat(text.toString()).isEqualTo("Simulated reply from openai (gpt-4o-mini) to: Stream to me");
        assertThat(whole.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(whole.usage()).isEqualTo(last.usage());
    }

    @Test
    void streamsWithoutUsageWhenNotAskedFor() {
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(ask("Stream to me").build())) {
            chunks = stream.stream().toList();
        }
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.usage()).isEmpty());
        assertThat(chunks.get(chunks.size() - 1).choices().get(0).finishReason())
                .hasValue(ChatCompletionChunk.Choice.FinishReason.STOP);
    }

    @Test
    void accumulatesAStreamedToolCall() {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ask("Use get_weather for Paris").addTool(weatherTool()).build())) {
            stream.stream().forEach(accumulator::accumulate);
        }

        ChatCompletion whole = accumulator.chatCompletion();
        assertThat(whole.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        // as from OpenAI, and as in the same answer unstreamed: a tool call has no text
        assertThat(whole.choices().get(0).message().content()).isEmpty();
        ChatCompletionMessageFunctionToolCall call = whole.choices().get(0).message().toolCalls().orElseThrow().get(0)
                .asFunction();
        assertThat(call.id()).startsWith("call_");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo("{\"query\":\"Use get_weather for Paris\"}");
    }

    @Test
    void rateLimitIsTheSdksRateLimitExceptionWithRetryAfter() {
        sim.provider("openai").fail(Fault.status(429).withRetryAfter(7));

        RateLimitException e = catchThrowableOfType(RateLimitException.class,
                () -> client.chat().completions().create(ask("hi").build()));

        assertThat(e.statusCode()).isEqualTo(429);
        assertThat(e.headers().values("retry-after")).containsExactly("7");
        assertThat(e.type()).hasValue("requests");
        assertThat(e.code()).hasValue("rate_limit_exceeded");
        assertThat(e.getMessage()).contains("Rate limit reached for requests");
        // maxRetries(0): the SDK would otherwise have tried again by itself after the 7 seconds
        assertThat(sim.provider("openai").chatCalls()).isEqualTo(1);
    }

    @Test
    void wrongKeyIsUnauthorizedAndTheKeyIsMasked() {
        OpenAIClient wrong = client("sk-wrong-key-1234");
        try {
            UnauthorizedException e = catchThrowableOfType(UnauthorizedException.class,
                    () -> wrong.chat().completions().create(ask("hi").build()));

            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.code()).hasValue("invalid_api_key");
            assertThat(e.getMessage()).contains("Incorrect API key provided: sk-w*********1234")
                    .doesNotContain("sk-wrong-key-1234");
        } finally {
            wrong.close();
        }
    }

    @Test
    void aCutStreamThrowsWhileIteratingAfterTheFirstPieces() {
        sim.provider("openai").fail(Fault.streaming(Fault.StreamFault.none().cutAfter(2)));
        List<ChatCompletionChunk> received = new ArrayList<>();

        Throwable thrown;
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(ask("Stream to me").build())) {
            thrown = catchThrowable(() -> stream.stream().forEach(received::add));
        }

        // the connection closed without the terminating chunk: okhttp reports an unexpected end of stream
        assertThat(thrown).isInstanceOf(OpenAIIoException.class);
        // the role chunk and the two pieces were delivered before the break
        assertThat(received).hasSize(3);
        assertThat(received.get(0).choices().get(0).delta().role()).isPresent();
        assertThat(received.subList(1, 3)).allSatisfy(
                chunk -> assertThat(chunk.choices().get(0).delta().content()).hasValueSatisfying(
                        piece -> assertThat(piece).isNotEmpty()));
    }

    @Test
    void anInStreamErrorIsTheSdksSseException() {
        sim.provider("openai").fail(Fault.streaming(Fault.StreamFault.none().errorAfter(2)));
        List<ChatCompletionChunk> received = new ArrayList<>();

        Throwable thrown;
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(ask("Stream to me").build())) {
            thrown = catchThrowable(() -> stream.stream().forEach(received::add));
        }

        assertThat(thrown).isInstanceOf(SseException.class);
        SseException e = (SseException) thrown;
        // the stream began as a 200: the error arrived inside it
        assertThat(e.statusCode()).isEqualTo(200);
        assertThat(e.type()).hasValue("server_error");
        assertThat(e.getMessage()).contains("The server had an error while processing your request");
        assertThat(received).hasSize(3);
    }

    @Test
    void aStreamThatEndsCleanlyWithoutDoneIsWholeToTheSdk() {
        sim.provider("openai").fail(Fault.streaming(Fault.StreamFault.none().withoutDone()));
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();

        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(ask("Stream to me").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }

        ChatCompletion whole = accumulator.chatCompletion();
        assertThat(whole.choices().get(0).message().content())
                .hasValue("Simulated reply from openai (gpt-4o-mini) to: Stream to me");
        assertThat(whole.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    }

    @Test
    void aMalformedEventStopsTheSdksStream() {
        sim.provider("openai").fail(Fault.streaming(Fault.StreamFault.none().malformedAt(1)));
        List<ChatCompletionChunk> received = new ArrayList<>();

        Throwable thrown;
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(ask("Stream to me").build())) {
            thrown = catchThrowable(() -> stream.stream().forEach(received::add));
        }

        // the SDK does not skip it as the gateway does (DESIGN §7): the caller's stream ends there
        assertThat(thrown).isInstanceOf(OpenAIInvalidDataException.class);
        assertThat(received).hasSize(2);
    }

    private static ChatCompletionFunctionTool weatherTool() {
        return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                .name("get_weather")
                .description("Current weather in a city")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("query",
                                Map.of("type", "string"))))
                        .build())
                .build()).build();
    }
}
