package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A hostile provider writes the key it was called with into its streamed text, cut in two across two events at every
 * place, plainly or spelt with JSON escapes, each event's frame cut in two on the wire too: on every client protocol,
 * passed through (the provider speaks the client's protocol) or translated, the client reads the text with the key
 * replaced whole, and no half of it. The test's keys are made of words ({@code test-key-claude}), the kind of key whose
 * halves look like ordinary text, so that no scan of one event alone can tell a half for a piece of a key.
 */
class SplitKeyStreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The streams' idle limit, by the gateway's ticker, which the test alone moves on. */
    private static final Duration IDLE = Duration.ofSeconds(3);

    private static final DrivenTime time = new DrivenTime();

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.withBeans(List.of("oa", "claude:anthropic",
            "gem:gemini"), Gateway.props("caravan.provider.oa.apis", "chat-completions, responses",
                    "caravan.routing.policy", "priority",
                    "caravan.defaults.idle-timeout", IDLE.toMillis() + "ms",
                    // the broken streams of one test must not open a provider's breaker for the next
                    "caravan.breaker.minimum-calls", "1000",
                    "caravan.breaker.sliding-window-size", "1000"), time.beans());

    /** How a client of each protocol asks for a stream, and what its provider of the same protocol is. */
    enum Protocol {
        CHAT("/v1/chat/completions", "oa",
                "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "{\"model\":\"fast\",\"stream\":true,\"reasoning_effort\":\"low\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        MESSAGES("/v1/messages", "claude", "{\"model\":\"fast\",\"max_tokens\":256,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "{\"model\":\"fast\",\"max_tokens\":2048,\"stream\":true,"
                        + "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        // not stored: a stored turn is never passed through
        RESPONSES("/v1/responses", "oa", "{\"model\":\"fast\",\"stream\":true,\"store\":false,\"input\":\"hi\"}",
                "{\"model\":\"fast\",\"stream\":true,\"store\":false,\"input\":\"hi\","
                        + "\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"}}"),
        GEMINI("/v1beta/models/fast:streamGenerateContent?alt=sse", "gem",
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}",
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
                        + "\"generationConfig\":{\"thinkingConfig\":{\"includeThoughts\":true}}}");

        private final String path;
        private final String own;
        private final String body;
        /** The same request asking to be shown the model's reasoning. */
        private final String reasoning;

        Protocol(String path, String own, String body, String reasoning) {
            this.path = path;
            this.own = own;
            this.body = body;
            this.reasoning = reasoning;
        }
    }

    /** Every protocol from every provider: passed through from the one that speaks it, translated from the others. */
    static Stream<Arguments> cases() {
        return Stream.of(Protocol.values()).flatMap(protocol -> Stream.of("oa", "claude", "gem")
                .map(provider -> Arguments.of(protocol, provider)));
    }

    @ParameterizedTest(name = "{0} client, {1} provider")
    @MethodSource("cases")
    void aKeyCutAcrossTwoEventsAtEveryPlaceReachesTheClientOnlyAsRedacted(Protocol protocol, String provider) {
        String key = "test-key-" + provider;
        for (boolean escaped : List.of(false, true)) {
            for (int at = 1; at < key.length(); at++) {
                String how = "cut after " + at + (escaped ? ", escaped" : "") + ", passed through: "
                        + provider.equals(protocol.own);
                gateway.provider(provider).fail(Fault.streaming(StreamFault.none().keySplitAt(at, escaped, true)));

                Gateway.Streamed streamed = gateway.stream(protocol.path, protocol.body,
                        Map.of("x-caravan-providers", provider));

                assertThat(streamed.status()).as(how).isEqualTo(200);
                assertThat(streamed.header("x-caravan-provider")).as(how).isEqualTo(provider);
                assertThat(text(streamed)).as(how).isEqualTo("Your key: [redacted] is it.");
                // nothing on the wire holds the key, as written or once its escapes are read, nor a half of it
                String read = everyString(streamed);
                assertThat(read).as(how).doesNotContain(key).doesNotContain("key: " + key.substring(0, at))
                        .doesNotContain(key.substring(at) + " is");
                assertThat(streamed.plain()).as(how).doesNotContain(key);
            }
        }
    }

    /**
     * The key in a tool call's arguments, streamed in fragments with the key cut across two of them (a fragment of a
     * few characters is too short to be found alone): on every client protocol, passed through to a Chat Completions
     * client and translated for Messages and Gemini ones (a Responses client is passed through to the provider's
     * Responses API, whose simulated calls come whole), the arguments the client joins hold [redacted], and no
     * fragment of the key is left to join.
     */
    @ParameterizedTest(name = "{0} client")
    @org.junit.jupiter.params.provider.EnumSource(Protocol.class)
    void aKeyCutAcrossToolCallArgumentFragmentsReachesTheClientOnlyAsRedacted(Protocol protocol) {
        String key = "test-key-oa";
        for (int at = 1; at < key.length(); at++) {
            String how = "cut after " + at;
            gateway.provider("oa").fail(Fault.streaming(StreamFault.none().keySplitAt(at, false, false)
                    .inToolArguments()));

            Gateway.Streamed streamed = gateway.stream(protocol.path, protocol.body,
                    Map.of("x-caravan-providers", "oa"));

            assertThat(streamed.status()).as(how).isEqualTo(200);
            String arguments = arguments(streamed);
            assertThat(arguments).as(how).isEqualTo("{\"key\":\"[redacted]\"}");
            assertThat(streamed.plain()).as(how).doesNotContain(key);
        }
    }

    /**
     * The key in the model's reasoning, cut across two of its deltas at every place, plainly or escaped, each frame
     * cut in two on the wire: from every wire that streams reasoning (Chat Completions' {@code reasoning_content},
     * Responses' summary deltas, Messages' thinking, Gemini's thought parts), passed through to a client of its
     * protocol and translated for the others, the reasoning the client joins holds [redacted] and no half of the key.
     */
    @ParameterizedTest(name = "{0} client, {1} provider")
    @MethodSource("cases")
    void aKeyCutAcrossTwoReasoningDeltasAtEveryPlaceReachesTheClientOnlyAsRedacted(Protocol protocol,
            String provider) {
        String key = "test-key-" + provider;
        for (boolean escaped : List.of(false, true)) {
            for (int at = 1; at < key.length(); at++) {
                String how = "cut after " + at + (escaped ? ", escaped" : "") + ", passed through: "
                        + provider.equals(protocol.own);
                gateway.provider(provider).fail(Fault.streaming(StreamFault.none().keySplitAt(at, escaped, true)
                        .inReasoning()));

                Gateway.Streamed streamed = gateway.stream(protocol.path, protocol.reasoning,
                        Map.of("x-caravan-providers", provider));

                assertThat(streamed.status()).as(how).isEqualTo(200);
                assertThat(streamed.header("x-caravan-provider")).as(how).isEqualTo(provider);
                assertThat(reasoning(streamed)).as(how).isEqualTo("Your key: [redacted] is it.");
                assertThat(text(streamed)).as(how).startsWith("Simulated reply from " + provider);
                String read = everyString(streamed);
                assertThat(read).as(how).doesNotContain(key).doesNotContain("key: " + key.substring(0, at))
                        .doesNotContain(key.substring(at) + " is");
                assertThat(streamed.plain()).as(how).doesNotContain(key);
            }
        }
    }

    /**
     * The key in a tool call's arguments from every wire: cut across two argument fragments on Chat Completions,
     * Responses and Messages, whole in the call's {@code args} object on Gemini (which streams a call whole); passed
     * through and translated, the arguments the client joins hold [redacted], and no fragment of the key is left.
     */
    @ParameterizedTest(name = "{0} client, {1} provider")
    @MethodSource("cases")
    void aKeyInToolCallArgumentsOfEveryWireReachesTheClientOnlyAsRedacted(Protocol protocol, String provider) {
        String key = "test-key-" + provider;
        for (int at = 1; at < key.length(); at++) {
            String how = "cut after " + at + ", passed through: " + provider.equals(protocol.own);
            gateway.provider(provider).fail(Fault.streaming(StreamFault.none().keySplitAt(at, false, true)
                    .inToolArguments()));

            Gateway.Streamed streamed = gateway.stream(protocol.path, protocol.body,
                    Map.of("x-caravan-providers", provider));

            assertThat(streamed.status()).as(how).isEqualTo(200);
            assertThat(streamed.header("x-caravan-provider")).as(how).isEqualTo(provider);
            assertThat(arguments(streamed)).as(how).isEqualTo("{\"key\":\"[redacted]\"}");
            String read = everyString(streamed);
            assertThat(read).as(how).doesNotContain(key);
            assertThat(streamed.plain()).as(how).doesNotContain(key);
        }
    }

    /**
     * The provider drops the connection right after the event that ends with the key's first part, or sends its
     * in-stream error there. What the gateway held back of the text is no key (the stream cannot complete it now):
     * it reaches the client before the protocol's error event when it is shorter than a piece of a key, and as
     * [redacted] when it is one, never as the key's beginning of ten characters or more.
     */
    @ParameterizedTest(name = "{0} client, {1} provider")
    @MethodSource("cases")
    void textHeldBackWhenTheStreamBreaksReachesTheClientBeforeTheErrorUnlessItIsAPieceOfTheKey(Protocol protocol,
            String provider) {
        String key = "test-key-" + provider;
        for (boolean dropped : List.of(true, false)) {
            for (int at = 1; at < key.length(); at++) {
                String how = "cut after " + at + (dropped ? ", connection dropped" : ", in-stream error")
                        + ", passed through: " + provider.equals(protocol.own);
                StreamFault split = StreamFault.none().keySplitAt(at, false, false);
                // pieces 0 and 1 ("Your key: " and the key's first part) are sent, then the stream breaks
                gateway.provider(provider).fail(Fault.streaming(dropped ? split.cutAfter(2) : split.errorAfter(2)));

                Gateway.Streamed streamed = gateway.stream(protocol.path, protocol.body,
                        Map.of("x-caravan-providers", provider));

                assertThat(streamed.status()).as(how).isEqualTo(200);
                assertThat(streamed.header("x-caravan-provider")).as(how).isEqualTo(provider);
                String held = key.substring(0, at);
                assertThat(text(streamed)).as(how)
                        .isEqualTo("Your key: " + (held.length() >= 10 ? "[redacted]" : held));
                List<JsonNode> events = events(streamed);
                int error = -1;
                int lastText = -1;
                for (int i = 0; i < events.size(); i++) {
                    if (isError(events.get(i)) && error < 0) {
                        error = i;
                    }
                    if (!text(List.of(events.get(i))).isEmpty()) {
                        lastText = i;
                    }
                }
                assertThat(error).as(how + ": the error event").isPositive();
                assertThat(lastText).as(how + ": the text before the error").isLessThan(error);
                assertThat(streamed.done()).as(how).isFalse();
                assertThat(everyString(streamed)).as(how).doesNotContain(key);
                if (held.length() >= 10) {
                    assertThat(everyString(streamed)).as(how).doesNotContain(held);
                }
            }
        }
    }

    /**
     * The provider falls silent right after the event that ends with the key's first part, and the gateway cuts it at
     * the idle limit (the third way a stream breaks, by the gateway's own watch rather than the provider): what was
     * held back reaches the client before the error event as it came while shorter than a piece of a key, as
     * [redacted] once it is one.
     */
    @ParameterizedTest(name = "{0} client, {1} provider")
    @MethodSource("cases")
    void textHeldBackWhenTheIdleLimitCutsTheStreamReachesTheClientBeforeTheErrorUnlessItIsAPieceOfTheKey(
            Protocol protocol, String provider) {
        String key = "test-key-" + provider;
        for (int at : List.of(9, 10, key.length() - 1)) {
            String how = "cut after " + at + ", passed through: " + provider.equals(protocol.own);
            // pieces 0 and 1 ("Your key: " and the key's first part) are sent, then nothing
            gateway.provider(provider).fail(Fault.streaming(StreamFault.none().keySplitAt(at, false, false)
                    .stallAfter(2)));

            Gateway.Streaming streaming = gateway.streaming(protocol.path, protocol.body,
                    Map.of("x-caravan-providers", provider));
            // the ticker moves on once content reached the client (before it, the first-content limit would apply)
            eventually(how + ": the first content relayed").until(() -> {
                synchronized (streaming.seen()) {
                    return streaming.seen().stream().anyMatch(event -> event.data().contains("Your key"));
                }
            });
            eventually(how + ": the stream cut").until(() -> {
                time.advance(IDLE);
                return streaming.answer().isDone();
            });
            Gateway.Streamed streamed = streaming.answer().join();

            assertThat(streamed.status()).as(how).isEqualTo(200);
            String held = key.substring(0, at);
            assertThat(text(streamed)).as(how).isEqualTo("Your key: " + (held.length() >= 10 ? "[redacted]" : held));
            List<JsonNode> events = events(streamed);
            int error = -1;
            int lastText = -1;
            for (int i = 0; i < events.size(); i++) {
                if (isError(events.get(i)) && error < 0) {
                    error = i;
                }
                if (!text(List.of(events.get(i))).isEmpty()) {
                    lastText = i;
                }
            }
            assertThat(error).as(how + ": the error event").isPositive();
            assertThat(lastText).as(how + ": the text before the error").isLessThan(error);
            assertThat(everyString(streamed)).as(how).contains("sent nothing for").doesNotContain(key);
            if (held.length() >= 10) {
                assertThat(everyString(streamed)).as(how).doesNotContain(held);
                assertThat(streamed.plain()).as(how).doesNotContain(held);
            }
            gateway.provider(provider).heal();
        }
    }

    /** Whether an event is its protocol's error: Chat's and Gemini's error object, Messages' and Responses'. */
    private static boolean isError(JsonNode event) {
        return event.has("error") && !event.has("type") || event.path("type").asText().equals("error");
    }

    /** The reasoning the answer shows, in the client's protocol, joined. */
    private static String reasoning(Gateway.Streamed streamed) {
        StringBuilder text = new StringBuilder();
        for (JsonNode event : events(streamed)) {
            for (JsonNode choice : event.path("choices")) {
                text.append(choice.path("delta").path("reasoning_content").asText(""));
            }
            if (event.path("type").asText().equals("content_block_delta")) {
                text.append(event.path("delta").path("thinking").asText(""));
            }
            if (event.path("type").asText().equals("response.reasoning_summary_text.delta")) {
                text.append(event.path("delta").asText(""));
            }
            for (JsonNode candidate : event.path("candidates")) {
                for (JsonNode part : candidate.path("content").path("parts")) {
                    if (part.path("thought").asBoolean(false)) {
                        text.append(part.path("text").asText(""));
                    }
                }
            }
        }
        return text.toString();
    }

    /** The arguments of every tool call of the answer, in the client's protocol, joined. */
    private static String arguments(Gateway.Streamed streamed) {
        StringBuilder arguments = new StringBuilder();
        for (JsonNode event : events(streamed)) {
            for (JsonNode choice : event.path("choices")) {
                for (JsonNode call : choice.path("delta").path("tool_calls")) {
                    arguments.append(call.path("function").path("arguments").asText(""));
                }
            }
            if (event.path("type").asText().equals("content_block_delta")) {
                arguments.append(event.path("delta").path("partial_json").asText(""));
            }
            if (event.path("type").asText().equals("response.function_call_arguments.delta")) {
                arguments.append(event.path("delta").asText(""));
            }
            for (JsonNode candidate : event.path("candidates")) {
                for (JsonNode part : candidate.path("content").path("parts")) {
                    if (part.has("functionCall")) {
                        arguments.append(part.path("functionCall").path("args"));
                    }
                }
            }
        }
        return arguments.toString();
    }

    /** The text of every delta of the answer, in the client's protocol, joined. */
    private static String text(Gateway.Streamed streamed) {
        return text(events(streamed));
    }

    private static String text(List<JsonNode> events) {
        StringBuilder text = new StringBuilder();
        for (JsonNode event : events) {
            for (JsonNode choice : event.path("choices")) {
                text.append(choice.path("delta").path("content").asText(""));
            }
            if (event.path("type").asText().equals("content_block_delta")) {
                text.append(event.path("delta").path("text").asText(""));
            }
            if (event.path("type").asText().equals("response.output_text.delta")) {
                text.append(event.path("delta").asText(""));
            }
            for (JsonNode candidate : event.path("candidates")) {
                for (JsonNode part : candidate.path("content").path("parts")) {
                    if (!part.path("thought").asBoolean(false)) {
                        text.append(part.path("text").asText(""));
                    }
                }
            }
        }
        return text.toString();
    }

    /** Every string of every event, names and values, as the client's JSON reader reads them. */
    private static String everyString(Gateway.Streamed streamed) {
        StringBuilder all = new StringBuilder();
        for (JsonNode event : events(streamed)) {
            strings(event, all);
        }
        return all.toString();
    }

    private static void strings(JsonNode node, StringBuilder all) {
        if (node.isTextual()) {
            all.append(node.textValue()).append('\n');
        }
        node.properties().forEach(field -> {
            all.append(field.getKey()).append('\n');
            strings(field.getValue(), all);
        });
        if (node.isArray()) {
            node.forEach(element -> strings(element, all));
        }
    }

    private static List<JsonNode> events(Gateway.Streamed streamed) {
        List<JsonNode> events = new ArrayList<>();
        for (Gateway.Streamed.Event event : streamed.events()) {
            if (event.data().startsWith("{")) {
                try {
                    events.add(JSON.readTree(event.data()));
                } catch (IOException e) {
                    throw new IllegalStateException("an event the client cannot read: " + event.data(), e);
                }
            }
        }
        return events;
    }
}
