package dev.caravan.e2e;

import static dev.caravan.testing.SdkShapes.anthropicWeather;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Api;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import dev.caravan.testing.SdkClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official Anthropic Java SDK as the gateway's client on {@code /v1/messages}, in front of an Anthropic, an
 * OpenAI and a Gemini target: plain, streamed, tools, token counts, failover across protocols before the first
 * token, and a break after it.
 */
class MessagesGatewayTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("claude:anthropic", "backup", "gem:gemini"),
            Gateway.props("caravan.routing.policy", "priority",
                    "caravan.breaker.minimum-calls", "1000",
                    "caravan.breaker.sliding-window-size", "1000"));

    private static AnthropicClient client;

    @BeforeAll
    static void connect() {
        client = SdkClients.anthropic(SdkClients.gateway(gateway.port()), "sk-ant-client");
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    private static MessageCreateParams.Builder hello() {
        return MessageCreateParams.builder().model("fast").maxTokens(256).system("Be brief.")
                .addUserMessage("Hello, Claude");
    }

    @Test
    void aPlainMessageIsAnsweredAsAnAnthropicMessage() {
        HttpResponseFor<Message> response = client.messages().withRawResponse().create(hello().build());
        Message message = response.parse();

        message.validate();
        assertThat(message.content().getFirst().text().orElseThrow().text())
                .isEqualTo("Simulated reply from claude (model-claude) to: Hello, Claude");
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().inputTokens()).isPositive();
        assertThat(message.usage().outputTokens()).isPositive();
        assertThat(response.headers().values("x-caravan-provider")).containsExactly("claude");
    }

    @Test
    void aStreamedMessageArrivesInAnthropicsEventSequence() {
        List<String> types = new ArrayList<>();
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello()
                .putAdditionalHeader("x-caravan-providers", "backup").build())) {
            stream.stream().forEach(event -> {
                types.add(typeOf(event));
                accumulator.accumulate(event);
            });
        }

        Message message = accumulator.message();
        message.validate();
        assertThat(message.content().getFirst().text().orElseThrow().text())
                .isEqualTo("Simulated reply from backup (model-backup) to: Hello, Claude");
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().outputTokens()).isPositive();
        assertThat(types.getFirst()).isEqualTo("message_start");
        assertThat(types.getLast()).isEqualTo("message_stop");
        assertThat(types).contains("content_block_start", "content_block_delta", "content_block_stop",
                "message_delta");
    }

    private static String typeOf(RawMessageStreamEvent event) {
        if (event.isMessageStart()) {
            return "message_start";
        }
        if (event.isContentBlockStart()) {
            return "content_block_start";
        }
        if (event.isContentBlockDelta()) {
            return "content_block_delta";
        }
        if (event.isContentBlockStop()) {
            return "content_block_stop";
        }
        if (event.isMessageDelta()) {
            return "message_delta";
        }
        return "message_stop";
    }

    @Test
    void aToolCallServedByAnOpenAiTargetComesBackAsToolUseAndItsResultIsAnswered() {
        MessageCreateParams ask = MessageCreateParams.builder().model("fast").maxTokens(256).addTool(anthropicWeather())
                .addUserMessage("Use get_weather for Paris").putAdditionalHeader("x-caravan-providers", "backup")
                .build();
        Message first = client.messages().create(ask);

        first.validate();
        assertThat(first.stopReason()).hasValue(StopReason.TOOL_USE);
        ToolUseBlock call = first.content().stream().flatMap(b -> b.toolUse().stream()).findFirst().orElseThrow();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call._input().convert(Map.class)).containsEntry("location", "Use get_weather for Paris");

        Message second = client.messages().create(ask.toBuilder()
                .addMessage(first)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId(call.id()).content("18 degrees and sunny").build())))
                .build());

        second.validate();
        assertThat(second.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(second.content().getFirst().text().orElseThrow().text()).contains("18 degrees and sunny");
    }

    @Test
    void tokensAreCountedWithoutCallingAProvider() {
        MessageTokensCount count = client.messages().countTokens(MessageCountTokensParams.builder().model("fast")
                .system("Be brief.").addUserMessage("Hello, Claude, how are you today?").addTool(anthropicWeather())
                .build());

        assertThat(count.inputTokens()).isBetween(5L, 200L);
        for (String provider : List.of("claude", "backup", "gem")) {
            assertThat(gateway.provider(provider).calls(Api.CHAT) + gateway.provider(provider).calls(Api.COUNT_TOKENS))
                    .as(provider).isZero();
        }
    }

    @Test
    void anAnthropicTargetFailingBeforeTheFirstTokenIsServedByOpenAiStillInMessagesFormat() {
        gateway.provider("claude").fail(Fault.status(529));

        MessageAccumulator accumulator = MessageAccumulator.create();
        HttpResponseFor<StreamResponse<RawMessageStreamEvent>> response = client.messages().withRawResponse()
                .createStreaming(hello().build());
        try (StreamResponse<RawMessageStreamEvent> stream = response.parse()) {
            stream.stream().forEach(accumulator::accumulate);
        }

        Message message = accumulator.message();
        message.validate();
        assertThat(message.content().getFirst().text().orElseThrow().text())
                .isEqualTo("Simulated reply from backup (model-backup) to: Hello, Claude");
        assertThat(message.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(message.usage().outputTokens()).isPositive();
        assertThat(response.headers().values("x-caravan-provider")).containsExactly("backup");
        assertThat(response.headers().values("x-caravan-attempts").getFirst())
                .startsWith("claude:model-claude=unavailable").endsWith("backup:model-backup=ok");
    }

    @Test
    void withAnthropicAndOpenAiDownAGeminiTargetAnswersWithItsUsageAndStopReason() {
        gateway.provider("claude").fail(Fault.status(529));
        gateway.provider("backup").fail(Fault.status(503));

        HttpResponseFor<Message> response = client.messages().withRawResponse().create(hello().maxTokens(3)
                .build());
        Message message = response.parse();

        message.validate();
        assertThat(response.headers().values("x-caravan-provider")).containsExactly("gem");
        assertThat(message.model().asString()).isEqualTo("model-gem");
        assertThat(message.stopReason()).hasValue(StopReason.MAX_TOKENS);
        assertThat(message.usage().outputTokens()).isEqualTo(3);
    }

    @Test
    void aBreakAfterTheFirstTokenEndsInAnErrorEventNotAMessageStop() {
        gateway.provider("backup").fail(Fault.streaming(StreamFault.none().cutAfter(3)));

        List<RawMessageStreamEvent> seen = new ArrayList<>();
        AnthropicException error = catchThrowableOfType(AnthropicException.class, () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello()
                    .putAdditionalHeader("x-caravan-providers", "backup").build())) {
                stream.stream().forEach(seen::add);
            }
        });

        assertThat(error).as("the SDK raises the stream's error event").isNotNull();
        assertThat(error.getMessage()).contains("cut off");
        assertThat(seen).anyMatch(RawMessageStreamEvent::isContentBlockDelta);
        assertThat(seen).noneMatch(RawMessageStreamEvent::isMessageStop);
    }

    @Test
    void anUnknownModelIsAnAnthropicNotFoundError() {
        NotFoundException error = catchThrowableOfType(NotFoundException.class,
                () -> client.messages().create(hello().model("no-such-model").build()));

        assertThat(error).isNotNull();
        assertThat(error.body().toString()).contains("not_found_error");
    }

    @Test
    void aServerToolIsRefusedByName() {
        HttpResponse<String> response = gateway.post("/v1/messages", """
                {"model":"fast","max_tokens":64,"messages":[{"role":"user","content":"hi"}],
                 "tools":[{"type":"web_search_20250305","name":"web_search"}]}""", Map.of());

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = Gateway.json(response);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.path("error").path("message").asText()).contains("'tools[0].type'")
                .contains("web_search_20250305");
        BadRequestException sdk = catchThrowableOfType(BadRequestException.class,
                () -> client.messages().create(hello().maxTokens(0).build()));
        assertThat(sdk).isNotNull();
    }

    @Test
    void anUnknownPathAnswersInTheErrorShapeOfItsPrefixesProtocol() {
        HttpResponse<String> messages = gateway.post("/v1/messages/batches", "{}", Map.of());
        HttpResponse<String> other = gateway.get("/v1/nothing-here");
        HttpResponse<String> google = gateway.post("/v1beta/files", "{}", Map.of());

        assertThat(messages.statusCode()).isEqualTo(404);
        assertThat(messages.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/json"));
        assertThat(Gateway.json(messages).path("error").path("type").asText()).isEqualTo("not_found_error");
        assertThat(Gateway.json(messages).path("type").asText()).isEqualTo("error");
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(Gateway.json(other).path("error").path("code").asText()).isEqualTo("unknown_url");
        HttpResponse<String> wrongMethod = gateway.get("/v1/messages");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(Gateway.json(wrongMethod).path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(Gateway.json(wrongMethod).path("error").path("message").asText()).contains("use POST");
        assertThat(google.statusCode()).isEqualTo(404);
        assertThat(Gateway.json(google).path("error").path("status").asText()).isEqualTo("NOT_FOUND");
        assertThat(Gateway.json(google).path("error").path("code").asInt()).isEqualTo(404);
    }
}
