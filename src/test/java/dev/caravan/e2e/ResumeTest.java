package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.caravan.resume.Continuation;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import dev.caravan.testing.SdkClients;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stream that breaks after its first content goes on on the next candidate when resuming is on: real sockets, the
 * simulator cutting a stream after some pieces, and clients that must see one clean stream.
 */
class ResumeTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta", "gamma:anthropic"),
            Gateway.props(
                    "caravan.routing.policy", "priority",
                    "caravan.breaker.minimum-calls", "1000",
                    "caravan.breaker.sliding-window-size", "1000",
                    "caravan.streaming.resume", "true",
                    // beta's server is said to continue a prefill; one test has it refuse one all the same
                    "caravan.capabilities.model-beta", "prefill"));

    private static final String ALPHA_PART = "Simulated reply from alpha (model-alpha) ";

    private static String streamed(String extra) {
        return "{\"model\":\"fast\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"tell me a story\"}]" + extra + "}";
    }

    private static void cutAlphaAfterFivePieces() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().cutAfter(5)));
    }

    @Test
    void aStreamCutAfterContentGoesOnOnTheNextTargetAsOneStream() {
        cutAlphaAfterFivePieces();

        Gateway.Streamed streamed = gateway.stream(streamed(""));

        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.done()).as("[DONE] at the end").isTrue();
        assertThat(streamed.header("x-caravan-provider")).as("the head went out with the first content")
                .isEqualTo("alpha");
        // beta took the partial answer as a prefill and went on from it
        assertThat(streamed.text()).isEqualTo(ALPHA_PART + "Simulated reply from beta (model-beta) to: tell me a story");
        List<JsonNode> chunks = streamed.chunks();
        assertThat(chunks).extracting(c -> c.path("id").asText()).containsOnly(chunks.getFirst().path("id").asText());
        assertThat(chunks.stream().filter(c -> c.at("/choices/0/delta/role").isTextual())).as("one role chunk")
                .hasSize(1);
        assertThat(chunks.stream().filter(c -> c.at("/choices/0/finish_reason").isTextual()))
                .as("one finish reason").hasSize(1);
        JsonNode usage = chunks.getLast().path("usage");
        assertThat(chunks.getLast().path("choices")).isEmpty();
        int betaOnly = (("Simulated reply from beta (model-beta) to: tell me a story").length() + 3) / 4;
        assertThat(usage.path("completion_tokens").asInt()).as("both attempts' output, alpha's estimated")
                .isEqualTo((ALPHA_PART.length() + 3) / 4 + betaOnly);
        assertThat(usage.path("total_tokens").asInt()).isEqualTo(usage.path("prompt_tokens").asInt()
                + usage.path("completion_tokens").asInt());
        assertThat(gateway.provider("alpha").streamPieces()).isEqualTo(5);
        assertThat(gateway.provider("beta").chatCalls()).isEqualTo(1);
        assertThat(gateway.provider("gamma").chatCalls()).isZero();
    }

    /**
     * Alpha breaks right after the event that ends with the beginning of its own key: what the gateway held back of
     * it goes to the client before the seam, as it came while shorter than a piece of the key and as [redacted] once
     * it is one, and the next target continues after exactly what the client has (its prefill).
     */
    @Test
    void textHeldBackAtTheBreakGoesBeforeTheSeamAndTheContinuationGoesOnAfterIt() {
        String key = "test-key-alpha";
        for (int at : List.of(6, 12)) {
            gateway.healAll();
            gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().keySplitAt(at, false, false)
                    .cutAfter(2)));

            Gateway.Streamed streamed = gateway.stream(streamed(""));

            String held = key.substring(0, at);
            String shown = "Your key: " + (held.length() >= 10 ? "[redacted]" : held);
            assertThat(streamed.done()).as("cut after " + at).isTrue();
            assertThat(streamed.text()).as("cut after " + at)
                    .isEqualTo(shown + "Simulated reply from beta (model-beta) to: tell me a story");
            assertThat(gateway.provider("beta").lastBody().toString()).as("the prefill").contains(shown)
                    .doesNotContain(key.substring(0, 10));
            assertThat(streamed.events().toString()).doesNotContain(key.substring(0, 10));
        }
    }

    @Test
    void aTargetWithoutPrefillIsToldToContinue() {
        cutAlphaAfterFivePieces();

        Gateway.Streamed streamed = gateway.stream(streamed(",\"caravan\":{\"exclude_providers\":[\"beta\"]}"));

        assertThat(streamed.done()).isTrue();
        // gamma speaks Anthropic, which continues a prefill by nature
        assertThat(streamed.text()).isEqualTo(ALPHA_PART
                + "Simulated reply from gamma (model-gamma) to: tell me a story");
    }

    @Test
    void aTargetThatRejectsThePrefillIsAskedOnceMoreByInstruction() {
        cutAlphaAfterFivePieces();
        gateway.provider("beta").fail(Fault.mode("reject_prefill"));

        Gateway.Streamed streamed = gateway.stream(streamed(""));

        assertThat(streamed.done()).isTrue();
        assertThat(gateway.provider("beta").chatCalls()).as("the prefill, then the instruction").isEqualTo(2);
        assertThat(streamed.text()).startsWith(ALPHA_PART + "Simulated reply from beta (model-beta) to: "
                + Continuation.INSTRUCTION.substring(0, 40));
        assertThat(gateway.provider("gamma").chatCalls()).isZero();
    }

    @Test
    void theSeamIsRecordedInTheTrailer() {
        cutAlphaAfterFivePieces();
        String body = streamed("");

        String raw;
        try (RawHttp http = new RawHttp(gateway.port())) {
            raw = http.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "TE: trailers\r\nConnection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .readToClose();
        }

        assertThat(raw).contains("data: [DONE]");
        assertThat(raw).containsIgnoringCase("x-caravan-resumed: alpha:model-alpha@5>beta:model-beta");
    }

    @Test
    void withResumeOffTheStreamEndsAsBefore() {
        cutAlphaAfterFivePieces();

        Gateway.Streamed streamed = gateway.stream(streamed(",\"caravan\":{\"resume\":false}"));

        assertThat(streamed.done()).isFalse();
        assertThat(streamed.text()).isEqualTo(ALPHA_PART);
        assertThat(streamed.events().getLast().data()).startsWith("<connection broke");
        assertThat(streamed.chunks().getLast().at("/error/code").asText()).isEqualTo("stream_broken");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void withNoCandidateLeftTheStreamEndsAsBefore() {
        cutAlphaAfterFivePieces();
        gateway.provider("beta").fail(Fault.status(503));
        gateway.provider("gamma").fail(Fault.status(503));

        Gateway.Streamed streamed = gateway.stream(streamed(""));

        assertThat(streamed.done()).isFalse();
        assertThat(streamed.text()).isEqualTo(ALPHA_PART);
        assertThat(streamed.chunks().getLast().at("/error/code").asText()).isEqualTo("stream_broken");
        assertThat(streamed.events().getLast().data()).startsWith("<connection broke");
    }

    @Test
    void aToolCallStreamIsNotResumed() {
        gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().cutAfter(2)));

        Gateway.Streamed streamed = gateway.stream("{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"please call lookup\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
                + "\"lookup\",\"parameters\":{\"type\":\"object\"}}}]}");

        assertThat(streamed.done()).isFalse();
        assertThat(streamed.chunks().getLast().at("/error/code").asText()).isEqualTo("stream_broken");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void aJsonModeStreamIsNotResumed() {
        cutAlphaAfterFivePieces();

        Gateway.Streamed streamed = gateway.stream(streamed(",\"response_format\":{\"type\":\"json_object\"}"));

        assertThat(streamed.done()).isFalse();
        assertThat(streamed.chunks().getLast().at("/error/code").asText()).isEqualTo("stream_broken");
        assertThat(gateway.provider("beta").chatCalls()).isZero();
    }

    @Test
    void theOpenAiSdkSeesOneCleanStream() {
        cutAlphaAfterFivePieces();
        OpenAIClient client = SdkClients.openAi(SdkClients.gateway(gateway.port()) + "/v1", "unused-by-the-gateway");
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<String> ids = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("fast").addUserMessage("tell me a story")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                ids.add(chunk.id());
                accumulator.accumulate(chunk);
            });
        } finally {
            client.close();
        }

        ChatCompletion completion = accumulator.chatCompletion();
        assertThat(ids).containsOnly(ids.getFirst());
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().getFirst().message().content()).hasValue(ALPHA_PART
                + "Simulated reply from beta (model-beta) to: tell me a story");
        assertThat(completion.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(completion.usage()).hasValueSatisfying(u -> assertThat(u.completionTokens()).isPositive());
    }

    @Test
    void theRequestLogAndTheMetricRecordTheSeam() {
        cutAlphaAfterFivePieces();
        double before = resumedFromAlphaToBeta();
        try (RequestLogCapture log = RequestLogCapture.attach("resume")) {
            assertThat(gateway.stream(streamed("")).done()).isTrue();

            Awaitility.await().until(() -> !log.lines().isEmpty());
            assertThat(log.lines().getLast()).contains("\"resumed\":[\"alpha:model-alpha@5>beta:model-beta\"]");
        }
        assertThat(resumedFromAlphaToBeta()).isEqualTo(before + 1);
    }

    private static double resumedFromAlphaToBeta() {
        Matcher m = Pattern.compile("caravan_stream_resumed_total\\{from=\"alpha\",to=\"beta\"} (\\S+)")
                .matcher(gateway.management("/observe/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
