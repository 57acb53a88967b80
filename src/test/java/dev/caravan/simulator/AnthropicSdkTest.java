package dev.caravan.simulator;

import static dev.caravan.testing.SdkShapes.anthropicWeather;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.caravan.testing.SdkClients;
import dev.caravan.testing.SimulatorExtension;
import java.util.Map;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.OverloadedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.errors.SseException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.ErrorType;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.ToolUseBlock;
import com.anthropic.models.models.ModelInfo;
import com.anthropic.models.models.ModelListPage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official Anthropic Java SDK as the client of the simulated Messages API: what it parses, streams and
 * raises is what it would against the real API, so the simulator's fidelity is checked by Anthropic's own code.
 */
class AnthropicSdkTest {

    @RegisterExtension
    static final SimulatorExtension sim = SimulatorExtension.of().add("claude", "anthropic", "sk-ant-test");

    private static AnthropicClient client;

    @BeforeAll
    static void start() {
        client = claude("sk-ant-test");
    }

    @AfterAll
    static void stop() {
        client.close();
    }

    private static AnthropicClient claude(String key) {
        return SdkClients.anthropic(sim.root("claude"), key);
    }

    private static MessageCreateParams.Builder hello() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(256)
                .addUserMessage("Hello, Claude");
    }

    @Test
    void theSdkParsesAMessage() {
        Message message = client.messages().create(hello().build());

        assertThat(message.id()).matches("msg_01[A-Za-z0-9]{22}");
        assertThat(message.model().asString()).isEqualTo("claude-sonnet-4-5");
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.content()).hasSize(1);
        assertThat(message.content().get(0).text()).hasValueSatisfying(
                text -> assertThat(text.text()).isEqualTo("Simulated reply from claude (claude-sonnet-4-5) to: "
                        + "Hello, Claude"));
        assertThat(message.usage().inputTokens()).isPositive();
        assertThat(message.usage().outputTokens()).isPositive();
        assertThat(message._role()).isEqualTo(JsonValue.from("assistant"));
        message.validate(); // every field the SDK knows is of the type it expects
    }

    @Test
    void theSdkParsesAToolUseMessage() {
        Message message = client.messages().create(MessageCreateParams.builder().model("claude-sonnet-4-5")
                .maxTokens(256).addTool(anthropicWeather())
                .addUserMessage("Use get_weather for San Francisco").build());

        message.validate();
        assertThat(message.stopReason()).hasValue(StopReason.TOOL_USE);
        ToolUseBlock tool = message.content().get(0).toolUse().orElseThrow();
        assertThat(tool.id()).matches("toolu_01[A-Za-z0-9]{22}");
        assertThat(tool.name()).isEqualTo("get_weather");
        // the input follows the tool's input_schema, its free text the prompt
        assertThat(tool._input().convert(Map.class)).containsEntry("location", "Use get_weather for San Francisco");
    }

    @Test
    void theSdkAccumulatesAStreamedMessage() {
        MessageAccumulator accumulator = MessageAccumulator.create();
        StringBuilder text = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello().build())) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                event.contentBlockDelta().flatMap(delta -> delta.delta().text())
                        .ifPresent(delta -> text.append(delta.text()));
            });
        }

        Message message = accumulator.message();
        assertThat(text.toString()).isEqualTo("Simulated reply from claude (claude-sonnet-4-5) to: Hello, Claude");
        assertThat(message.content().get(0).text().orElseThrow().text()).isEqualTo(text.toString());
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().outputTokens()).isGreaterThan(1);
        assertThat(message.id()).startsWith("msg_01");
    }

    @Test
    void theSdkAccumulatesAStreamedToolUse() {
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
                MessageCreateParams.builder().model("claude-haiku-4-5").maxTokens(256).addTool(anthropicWeather())
                        .addUserMessage("Please call get_weather").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }

        Message message = accumulator.message();
        assertThat(message.stopReason()).hasValue(StopReason.TOOL_USE);
        ContentBlock block = message.content().get(0);
        assertThat(block.toolUse().orElseThrow().name()).isEqualTo("get_weather");
        assertThat(block.toolUse().orElseThrow()._input().convert(Map.class))
                .containsEntry("location", "Please call get_weather");
    }

    @Test
    void anOverloadIsTheSdksOverloadedException() {
        sim.provider("claude").fail(Fault.status(529));

        OverloadedException error = catchThrowableOfType(OverloadedException.class,
                () -> client.messages().create(hello().build()));

        assertThat(error).isNotNull();
        assertThat(error.statusCode()).isEqualTo(529);
        assertThat(error.type()).hasValue(ErrorType.OVERLOADED_ERROR);
        assertThat(error.apiMessage()).hasValue("Overloaded");
        assertThat(error.requestId()).hasValueSatisfying(id -> assertThat(id).startsWith("req_01"));
    }

    @Test
    void aRateLimitIsTheSdksRateLimitExceptionWithItsHeaders() {
        sim.provider("claude").fail(Fault.status(429).withRetryAfter(7));

        RateLimitException error = catchThrowableOfType(RateLimitException.class,
                () -> client.messages().create(hello().build()));

        assertThat(error).isNotNull();
        assertThat(error.type()).hasValue(ErrorType.RATE_LIMIT_ERROR);
        assertThat(error.headers().values("retry-after")).containsExactly("7");
        assertThat(error.headers().values("anthropic-ratelimit-requests-remaining")).containsExactly("0");
    }

    @Test
    void aContextLengthErrorSaysThePromptIsTooLong() {
        sim.provider("claude").fail(Fault.status(400).withCode("context_length_exceeded"));

        AnthropicServiceException error = catchThrowableOfType(AnthropicServiceException.class,
                () -> client.messages().create(hello().build()));

        assertThat(error.statusCode()).isEqualTo(400);
        assertThat(error.type()).hasValue(ErrorType.INVALID_REQUEST_ERROR);
        assertThat(error.apiMessage()).hasValue("prompt is too long: 210000 tokens > 200000 maximum");
    }

    @Test
    void aWrongKeyIsTheSdksUnauthorizedException() {
        AnthropicClient wrong = claude("sk-ant-wrong");
        try {
            UnauthorizedException error = catchThrowableOfType(UnauthorizedException.class,
                    () -> wrong.messages().create(hello().build()));

            assertThat(error).isNotNull();
            assertThat(error.type()).hasValue(ErrorType.AUTHENTICATION_ERROR);
            assertThat(error.apiMessage()).hasValue("invalid x-api-key");
        } finally {
            wrong.close();
        }
    }

    @Test
    void anOverloadInsideTheStreamIsTheSdksStreamError() {
        sim.provider("claude").fail(Fault.streaming(Fault.StreamFault.none().errorAfter(2)));
        StringBuilder text = new StringBuilder();

        SseException error = catchThrowableOfType(SseException.class, () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello().build())) {
                stream.stream().forEach(event -> event.contentBlockDelta().flatMap(delta -> delta.delta().text())
                        .ifPresent(delta -> text.append(delta.text())));
            }
        });

        assertThat(error).isNotNull();
        assertThat(error.type()).hasValue(ErrorType.OVERLOADED_ERROR);
        assertThat(text.toString()).isEqualTo("Simulated reply ");
    }

    @Test
    void theSdkListsTheModels() {
        ModelListPage page = client.models().list();

        assertThat(page.data()).extracting(ModelInfo::id).contains("claude-sonnet-4-5-20250929");
        assertThat(page.data()).allSatisfy(model -> {
            assertThat(model.displayName()).startsWith("Claude ");
            assertThat(model.createdAt()).isNotNull();
        });
        assertThat(page.hasNextPage()).isFalse();
    }
}
