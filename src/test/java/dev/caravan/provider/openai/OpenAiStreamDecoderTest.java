package dev.caravan.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatRequest;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.stream.SseEvent;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OpenAI streams, from the documented chunk examples in {@code fixtures/openai/*.sse}, read through the same
 * {@link SseReader} the gateway uses, decoded into the canonical chunks the {@link StreamDecoder} contract promises.
 */
class OpenAiStreamDecoderTest {

    /** Configured as the gateway configures it. */
    private final ObjectMapper json = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private final OpenAiDialect dialect = new OpenAiDialect(json, Clock.systemUTC());
    private final StreamDecoder decoder = dialect.streamDecoder("gpt-4o-mini");

    static List<SseEvent> events(String fixture) throws IOException {
        SseReader reader = new SseReader(new ByteArrayInputStream(OpenAiDialectTest.fixture(fixture)));
        List<SseEvent> events = new ArrayList<>();
        for (SseEvent e = reader.next(); e != null; e = reader.next()) {
            events.add(e);
        }
        return events;
    }

    /** Every chunk of {@code events}, checking that nothing is complete before the finish reason. */
    private List<ChatChunk> decodeAll(List<SseEvent> events) {
        List<ChatChunk> chunks = new ArrayList<>();
        for (SseEvent event : events) {
            boolean finishedBefore = chunks.stream().anyMatch(c -> c.finishReason() != null);
            assertThat(decoder.complete()).as("complete before %s", event.data()).isEqualTo(finishedBefore);
            chunks.addAll(decoder.decode(event));
        }
        return chunks;
    }

    private static String text(List<ChatChunk> chunks) {
        StringBuilder text = new StringBuilder();
        for (ChatChunk chunk : chunks) {
            for (ChatChunk.Choice choice : chunk.choices()) {
                if (choice.delta() != null && choice.delta().content() != null) {
                    text.append(choice.delta().content());
                }
            }
        }
        return text.toString();
    }

    private static SseEvent data(String data) {
        return SseEvent.data(data);
    }

    // ---------------------------------------------------------------- documented streams

    @Test
    void aTextStreamIsRoleFirstThenDeltasThenFinishThenOneUsageChunk() throws IOException {
        List<ChatChunk> chunks = decodeAll(events("chat-stream.sse"));

        assertThat(chunks).hasSize(6);
        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo("assistant");
        assertThat(chunks.subList(1, chunks.size())).allSatisfy(c -> assertThat(c.choices()).allSatisfy(
                choice -> assertThat(choice.delta().role()).isNull()));
        assertThat(text(chunks)).isEqualTo("Hello! How can I assist you today?");
        assertThat(chunks).extracting(ChatChunk::finishReason).containsExactly(null, null, null, null, "stop", null);
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.id()).isEqualTo("chatcmpl-123");
            assertThat(c.object()).isEqualTo(ChatChunk.OBJECT);
            assertThat(c.created()).isEqualTo(1694268190L);
            assertThat(c.model()).isEqualTo("gpt-4o-mini");
        });
        assertThat(chunks.subList(0, 5)).allSatisfy(c -> assertThat(c.usage()).isNull());

        ChatChunk usage = chunks.get(5);
        assertThat(usage.choices()).isEmpty();
        assertThat(usage.hasContent()).isFalse();
        assertThat(usage.usage().promptTokens()).isEqualTo(9);
        assertThat(usage.usage().completionTokens()).isEqualTo(9);
        assertThat(usage.usage().totalTokens()).isEqualTo(18);
        assertThat(usage.usage().extra().get("prompt_tokens_details").get("cached_tokens").asInt()).isZero();
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void documentedChunksGoBackToTheClientAsTheyCame() throws IOException {
        List<SseEvent> events = events("chat-stream.sse");
        ChatChunk delta = decoder.decode(events.get(1)).get(0);

        JsonNode written = json.readTree(json.writeValueAsString(delta));

        ObjectNode original = (ObjectNode) json.readTree(events.get(1).data());
        // null fields are left out on the way out (OpenAI's SDKs read an absent finish_reason as null)
        original.remove("usage");
        ((ObjectNode) original.at("/choices/0")).remove("finish_reason");
        assertThat(written).isEqualTo(original);
    }

    @Test
    void doneEndsTheStreamAndCarriesNothing() throws IOException {
        List<SseEvent> events = events("chat-stream.sse");
        SseEvent done = events.get(events.size() - 1);

        assertThat(done.data()).isEqualTo("[DONE]");
        assertThat(decoder.complete()).isFalse();
        assertThat(decoder.decode(done)).isEmpty();
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void aStreamCutBeforeItsFinishReasonIsNotComplete() throws IOException {
        List<SseEvent> events = events("chat-stream.sse");

        decodeAll(events.subList(0, 4));

        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void aToolCallStreamKeepsTheCallIdAndItsArgumentFragments() throws IOException {
        List<ChatChunk> chunks = decodeAll(events("chat-stream-tool-call.sse"));

        assertThat(chunks).hasSize(8);
        ChatChunk.Delta first = chunks.get(0).choices().get(0).delta();
        assertThat(first.role()).isEqualTo("assistant");
        assertThat(first.toolCalls().get(0).get("id").asText()).isEqualTo("call_DdmO9pD3xa9XTPNJ32zg2hcA");
        assertThat(first.toolCalls().get(0).at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(chunks).allSatisfy(c -> assertThat(c.choices().get(0).delta().content()).isNull());
        assertThat(chunks.subList(0, 7)).allSatisfy(c -> assertThat(c.hasContent()).isTrue());

        StringBuilder arguments = new StringBuilder();
        for (ChatChunk chunk : chunks) {
            JsonNode calls = chunk.choices().get(0).delta().toolCalls();
            if (calls != null) {
                assertThat(calls.get(0).get("index").asInt()).isZero();
                arguments.append(calls.get(0).at("/function/arguments").asText());
            }
        }
        assertThat(json.readTree(arguments.toString()).get("location").asText()).isEqualTo("Paris, France");
        assertThat(chunks.get(7).finishReason()).isEqualTo("tool_calls");
        assertThat(chunks.get(7).hasContent()).isFalse();
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void anInStreamErrorIsTheProvidersFailureAfterTheContentBeforeIt() throws IOException {
        List<SseEvent> events = events("chat-stream-error.sse");
        List<ChatChunk> before = new ArrayList<>();
        before.addAll(decoder.decode(events.get(0)));
        before.addAll(decoder.decode(events.get(1)));

        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> decoder.decode(events.get(2)));

        assertThat(text(before)).isEqualTo("Hello");
        assertThat(failure).isNotNull();
        assertThat(failure.failureClass()).isEqualTo(FailureClass.UNAVAILABLE);
        assertThat(failure.status()).isEqualTo(200);
        assertThat(failure.getMessage()).contains("The server had an error while processing your request");
        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void anInStreamRateLimitIsRateLimited() {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class, () -> decoder.decode(data(
                "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 200000"
                        + ", Used 200000, Requested 512.\",\"type\":\"tokens\",\"param\":null,"
                        + "\"code\":\"rate_limit_exceeded\"}}")));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.RATE_LIMITED);
        assertThat(failure.getMessage()).startsWith("Rate limit reached for gpt-4o-mini");
    }

    @Test
    void anErrorGivenAsAStringIsAFailureToo() {
        ProviderFailure failure = catchThrowableOfType(ProviderFailure.class,
                () -> decoder.decode(data("{\"error\":\"upstream overloaded\"}")));

        assertThat(failure.failureClass()).isEqualTo(FailureClass.UNAVAILABLE);
        assertThat(failure.getMessage()).isEqualTo("upstream overloaded");
    }

    // ---------------------------------------------------------------- what compatible servers send

    @Test
    void usageBesideTheFinishReasonIsSplitIntoItsOwnChunkAfterIt() {
        List<ChatChunk> chunks = decoder.decode(data("""
                {"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion.chunk","created":1702256327,
                 "model":"mistral-small-latest","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop",
                 "logprobs":null}],"usage":{"prompt_tokens":10,"total_tokens":20,"completion_tokens":10}}
                """));

        assertThat(chunks).hasSize(2);
        assertThat(chunks.get(0).finishReason()).isEqualTo("stop");
        assertThat(chunks.get(0).usage()).isNull();
        ChatChunk usage = chunks.get(1);
        assertThat(usage.choices()).isEmpty();
        assertThat(usage.finishReason()).isNull();
        assertThat(usage.usage().totalTokens()).isEqualTo(20);
        assertThat(usage.id()).isEqualTo("cmpl-e5cc70bb28c444948073e77776eb30ef");
        assertThat(usage.model()).isEqualTo("mistral-small-latest");
        assertThat(usage.created()).isEqualTo(1702256327L);
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void aChunkWithNeitherChoicesNorUsageForTheClientCarriesNothing() {
        // Azure OpenAI opens a stream with its prompt filter results: no choices, no usage, no id
        List<ChatChunk> chunks = decoder.decode(data("""
                {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,
                 "content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}
                """));

        assertThat(chunks).isEmpty();
        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void aStreamThatEndsWithDoneButNoFinishReasonIsComplete() {
        decoder.decode(data("{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hi\"},"
                + "\"finish_reason\":null}]}"));
        assertThat(decoder.complete()).isFalse();

        assertThat(decoder.decode(data("[DONE]"))).isEmpty();

        assertThat(decoder.complete()).isTrue();
    }

    // ---------------------------------------------------------------- malformed events

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "{\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,",
            "hello",
            "",
            "[1, 2]",
            "\"a string\"",
            "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\"}",
            "{\"id\":\"chatcmpl-123\",\"choices\":\"not a list\"}"})
    void anEventThatIsNotAChunkIsMalformed(String data) {
        assertThatThrownBy(() -> decoder.decode(data(data))).isInstanceOf(StreamDecoder.MalformedEvent.class);
        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void aMalformedEventDoesNotSpoilTheRestOfTheStream() throws IOException {
        List<SseEvent> events = events("chat-stream.sse");
        List<ChatChunk> chunks = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            if (i == 2) {
                assertThatThrownBy(() -> decoder.decode(data("{\"choices\":[{\"index\":0,")))
                        .isInstanceOf(StreamDecoder.MalformedEvent.class);
            }
            chunks.addAll(decoder.decode(events.get(i)));
        }

        assertThat(text(chunks)).isEqualTo("Hello! How can I assist you today?");
        assertThat(chunks.get(chunks.size() - 1).usage().totalTokens()).isEqualTo(18);
        assertThat(decoder.complete()).isTrue();
    }

    // ---------------------------------------------------------------- streamed requests

    @Test
    void aStreamedRequestAsksForUsage() throws IOException {
        ChatRequest request = json.readValue("""
                {"model": "fast", "messages": [{"role": "user", "content": "hi"}], "stream": true}
                """, ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "gpt-4o-mini"));

        assertThat(sent.get("stream").asBoolean()).isTrue();
        assertThat(sent.get("stream_options")).isEqualTo(json.readTree("{\"include_usage\": true}"));
        assertThat(request.extra()).doesNotContainKey("stream_options");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "{\"include_obfuscation\": false}",
            "{\"include_obfuscation\": false, \"include_usage\": false}"})
    void aStreamedRequestKeepsTheCallersOtherStreamOptions(String options) throws IOException {
        ChatRequest request = json.readValue("{\"model\": \"fast\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"hi\"}], \"stream\": true, \"stream_options\": " + options + "}", ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "gpt-4o-mini"));

        assertThat(sent.get("stream_options")).isEqualTo(
                json.readTree("{\"include_obfuscation\": false, \"include_usage\": true}"));
        // the caller's request is left as it was, for the next attempt
        assertThat(request.extra().get("stream_options")).isEqualTo(json.readTree(options));
    }

    @Test
    void aStreamedRequestThatAsksForUsageGoesAsItCame() throws IOException {
        String body = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true,\"include_obfuscation\":true}}";
        ChatRequest request = json.readValue(body, ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "gpt-4o-mini"));

        ObjectNode expected = (ObjectNode) json.readTree(body);
        expected.put("model", "gpt-4o-mini");
        assertThat(sent).isEqualTo(expected);
    }

    @Test
    void anUnstreamedRequestGetsNoStreamOptions() throws IOException {
        ChatRequest request = json.readValue("""
                {"model": "fast", "messages": [{"role": "user", "content": "hi"}], "stream": false}
                """, ChatRequest.class);

        JsonNode sent = json.readTree(dialect.toWire(request, "gpt-4o-mini"));

        assertThat(sent.has("stream_options")).isFalse();
    }
}
