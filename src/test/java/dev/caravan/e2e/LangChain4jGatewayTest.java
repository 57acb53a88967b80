package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.caravan.simulator.Fault;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LangChain4j's OpenAI models (langchain4j-open-ai) as the gateway's client, in front of an Anthropic, an OpenAI and a
 * Gemini target tried in that order: chat, streaming and a tool round trip, each with the first target failing, and
 * a tool conversation whose turns are served by targets of different dialects.
 */
class LangChain4jGatewayTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("claude:anthropic", "backup", "gem:gemini"),
            Gateway.props("caravan.routing.policy", "priority",
                    "caravan.breaker.minimum-calls", "1000",
                    "caravan.breaker.sliding-window-size", "1000"));

    private static String base() {
        return "http://127.0.0.1:" + gateway.port() + "/v1";
    }

    /** No retries of its own: a retry would hide what one call through the gateway returned. */
    private static OpenAiChatModel chatModel() {
        return OpenAiChatModel.builder().baseUrl(base()).apiKey("unused").modelName("fast").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    private static ToolSpecification weather() {
        return ToolSpecification.builder().name("get_weather").description("Get the current weather in a location")
                .parameters(JsonObjectSchema.builder().addStringProperty("location").required("location").build())
                .build();
    }

    @Test
    void aChatWhoseFirstTargetIsDownIsAnsweredByTheNext() {
        gateway.provider("claude").fail(Fault.status(529));

        ChatResponse response = chatModel().chat(ChatRequest.builder().messages(UserMessage.from("Hello")).build());

        assertThat(response.aiMessage().text()).isEqualTo("Simulated reply from backup (model-backup) to: Hello");
        assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(response.tokenUsage().outputTokenCount()).isPositive();
        assertThat(gateway.provider("claude").chatCalls()).as("the failing target was asked first").isPositive();
    }

    @Test
    void aStreamWhoseFirstTwoTargetsAreDownArrivesWholeFromGemini() throws Exception {
        gateway.provider("claude").fail(Fault.status(529));
        gateway.provider("backup").fail(Fault.status(503));
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(base()).apiKey("unused")
                .modelName("fast").timeout(Duration.ofSeconds(30)).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> complete = new CompletableFuture<>();

        model.chat("Tell me a story", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                complete.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                complete.completeExceptionally(error);
            }
        });

        ChatResponse response = complete.get(60, TimeUnit.SECONDS);
        assertThat(partial.toString()).isEqualTo("Simulated reply from gem (model-gem) to: Tell me a story");
        assertThat(response.aiMessage().text()).isEqualTo(partial.toString());
        assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(response.tokenUsage().outputTokenCount()).isPositive();
    }

    @Test
    void aToolCallFromAnthropicIsAnsweredOnOpenAiAfterAnthropicWentDown() {
        OpenAiChatModel model = chatModel();
        UserMessage ask = UserMessage.from("Use get_weather for Paris");

        ChatResponse first = model.chat(ChatRequest.builder().messages(ask).toolSpecifications(weather()).build());

        assertThat(first.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        AiMessage call = first.aiMessage();
        ToolExecutionRequest request = call.toolExecutionRequests().getFirst();
        assertThat(request.name()).isEqualTo("get_weather");
        assertThat(request.arguments()).contains("\"location\"");
        assertThat(gateway.provider("claude").chatCalls()).isEqualTo(1);

        gateway.provider("claude").fail(Fault.status(529));
        ChatResponse second = model.chat(ChatRequest.builder().messages(ask, call,
                ToolExecutionResultMessage.from(request, "18 degrees and sunny")).toolSpecifications(weather()).build());

        assertThat(second.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(second.aiMessage().text()).contains("18 degrees and sunny");
        assertThat(gateway.provider("backup").lastBody().at("/messages/1/tool_calls/0/id").asText())
                .isEqualTo(request.id());
    }
}
