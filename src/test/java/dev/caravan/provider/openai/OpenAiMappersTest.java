package dev.caravan.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import org.junit.jupiter.api.Test;

/** The pass-through mappers on OpenAI's documented payloads. */
class OpenAiMappersTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void theRequestKeepsTheCallersStreamOptionsAndAsksForUsage() throws IOException {
        ChatRequest request = json.readValue("{\"model\": \"alias\", \"stream\": true, \"messages\": [], "
                + "\"stream_options\": {\"include_obfuscation\": false}, \"caravan\": {\"policy\": \"cost\"}}",
                ChatRequest.class);

        ChatRequest upstream = OpenAiRequests.toOpenAiRequest(request, "gpt-4o");

        assertThat(upstream.model()).isEqualTo("gpt-4o");
        assertThat(upstream.extra()).doesNotContainKey("caravan");
        assertThat(upstream.extra().get("stream_options"))
                .isEqualTo(json.readTree("{\"include_obfuscation\": false, \"include_usage\": true}"));
        assertThat(request.extra()).containsKey("caravan");
        assertThat(request.extra().get("stream_options").has("include_usage")).isFalse();
    }

    @Test
    void aRequestWithNothingToChangeButTheModelIsTheCallersWithTheModel() throws IOException {
        ChatRequest request = json.readValue(OpenAiDialectTest.fixture("chat-request.json"), ChatRequest.class)
                .answeredWhole();
        ChatRequest without = new ChatRequest(request.model(), request.messages(), null, request.maxTokens(),
                request.maxCompletionTokens(), request.temperature(), request.topP(), request.stop(), request.tools(),
                request.toolChoice(), request.responseFormat(), new java.util.LinkedHashMap<>(request.extra()));
        without.extra().remove("caravan");

        assertThat(OpenAiRequests.toOpenAiRequest(without, "gpt-4o")).isEqualTo(without.withModel("gpt-4o"));
    }

    @Test
    void anAnswerWithoutChoicesIsABadResponse() {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> OpenAiResponses.fromOpenAiResponse(
                OpenAiDialectTest.fixture("chat-completion-no-choices.json"), json));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.BAD_RESPONSE);
    }

    @Test
    void anErrorGivenAsAPlainStringIsItsMessage() {
        ProviderFailure failure = OpenAiErrors.classify(500, "{\"error\": \"upstream exploded\"}"
                .getBytes(StandardCharsets.UTF_8), java.util.Map.of(), java.time.Clock.systemUTC(), json);

        assertThat(failure.getMessage()).isEqualTo("upstream exploded");
        assertThat(failure.failureClass()).isEqualTo(FailureClass.UNAVAILABLE);
    }
}
