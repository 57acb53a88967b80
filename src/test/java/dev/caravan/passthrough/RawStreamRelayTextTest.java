package dev.caravan.passthrough;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.AttemptHandle;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.anthropic.AnthropicDialect;
import dev.caravan.provider.gemini.GeminiDialect;
import dev.caravan.provider.openai.OpenAiDialect;
import dev.caravan.provider.stream.RelayResult;
import dev.caravan.provider.stream.SseReader;
import dev.caravan.provider.stream.StreamDecoder;
import dev.caravan.testing.RecordingSink;
import org.junit.jupiter.api.Test;

/**
 * A provider's key written into any text of a passed-through stream (tool call arguments, reasoning, a Gemini event
 * of several parts), cut across events into pieces too short to be found alone, reaches the client as [redacted];
 * and every event the client reads is one the provider sent, in its protocol's order, its numbers as they were.
 * Scripted provider streams through the real relay and the protocols' own decoders, without sockets.
 */
class RawStreamRelayTextTest {

    private static final String KEY = "test-key-oa";

    private final ObjectMapper json = new ObjectMapper();
    private final SecretRedactor redactor = new SecretRedactor(List.of(KEY));
    private final RawStreamRelay relay = new RawStreamRelay(redactor, SseReader.DEFAULT_MAX_EVENT_CHARS);
    private final RecordingSink sink = new RecordingSink();
    private final AtomicLong ticks = new AtomicLong();
    private final AttemptHandle handle = new AttemptHandle(ticks::incrementAndGet, 0);

    private RelayResult relay(ClientApi api, StreamDecoder decoder, String body) {
        return relay.relay(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), api, decoder, sink,
                handle, new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")), false);
    }

    private static String data(String json) {
        return "data: " + json + "\n\n";
    }

    private static String chat(String delta, String finish) {
        return data("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                + "[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}");
    }

    /** The strings at {@code path} ("a/b/c", arrays walked) of every event, joined. */
    private String joined(String... path) {
        StringBuilder out = new StringBuilder();
        for (String event : sink.events()) {
            if (!event.contains("[DONE]")) {
                try {
                    collect(json.readTree(event.substring(event.indexOf("data: ") + "data: ".length())), path, 0, out);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        return out.toString();
    }

    private static void collect(JsonNode node, String[] path, int at, StringBuilder out) {
        if (node.isArray()) {
            node.forEach(element -> collect(element, path, at, out));
        } else if (at == path.length) {
            out.append(node.asText(""));
        } else if (node.has(path[at])) {
            collect(node.get(path[at]), path, at + 1, out);
        }
    }

    /**
     * Every field of a passed-through event is the provider's to write, its {@code event:} name too: a key written
     * there reaches the client as [redacted], on an event of the answer and on one the decoder knows nothing of.
     */
    @Test
    void aKeyInAnEventsNameIsRedacted() {
        RelayResult result = relay(ClientApi.MESSAGES, new AnthropicDialect(json, Clock.systemUTC())
                .streamDecoder("m"), anthropic("message_start", ",\"message\":{\"id\":\"msg_1\",\"model\":\"m\","
                        + "\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}")
                + anthropic("content_block_start", ",\"index\":0,\"content_block\":{\"type\":\"text\","
                        + "\"text\":\"\"}")
                + anthropic("content_block_delta", ",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                        + "\"text\":\"Hi\"}").replace("event: content_block_delta", "event: " + KEY)
                + "event: x-" + KEY + "\n" + data("{\"type\":\"x-note\"}")
                + anthropic("content_block_stop", ",\"index\":0")
                + anthropic("message_delta", ",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":"
                        + "{\"output_tokens\":1}")
                + anthropic("message_stop", ""));

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(sink.raw()).doesNotContain(KEY).contains("event: [redacted]\n").contains("event: x-[redacted]\n");
    }

    @Test
    void aKeyCutInPiecesAcrossToolCallArgumentsAndReasoningIsRedactedWhole() {
        RelayResult result = relay(ClientApi.CHAT_COMPLETIONS, new OpenAiDialect(json, Clock.systemUTC())
                .streamDecoder("m"), chat("{\"role\":\"assistant\",\"content\":\"\"}", null)
                + chat("{\"reasoning_content\":\"I'll pass tes\"}", null)
                + chat("{\"reasoning_content\":\"t-ke\"}", null)
                + chat("{\"reasoning_content\":\"y-oa on.\"}", null)
                + chat("{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}", null)
                + chat("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"k\\\":\\\"te\"}}]}", null)
                + chat("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"st-k\"}}]}", null)
                + chat("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ey-o\"}}]}", null)
                + chat("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"a\\\"}\"}}]}", null)
                + chat("{}", "tool_calls") + "data: [DONE]\n\n");

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(sink.raw()).doesNotContain(KEY);
        assertThat(joined("choices", "delta", "reasoning_content")).isEqualTo("I'll pass [redacted] on.");
        assertThat(joined("choices", "delta", "tool_calls", "function", "arguments"))
                .isEqualTo("{\"k\":\"[redacted]\"}");
        assertThat(sink.raw()).endsWith("data: [DONE]\n\n");
    }

    /**
     * A passed-through stream that breaks while its text ends with what may begin a generated key: what was held goes
     * in the event it was cut from, before the error event, as it came while shorter than a piece of the key, as
     * [redacted] once it is one; the events stay the provider's, in order.
     */
    @Test
    void textHeldBackWhenTheStreamBreaksLeavesInItsEventBeforeTheErrorUnlessItIsAPieceOfTheKey() {
        String generated = "sk-secret-1234567890";
        for (String held : List.of("sk-secret", "sk-secret-12")) {
            RecordingSink out = new RecordingSink();
            RawStreamRelay keyed = new RawStreamRelay(new SecretRedactor(List.of(generated)),
                    SseReader.DEFAULT_MAX_EVENT_CHARS);
            RelayResult result = keyed.relay(new java.io.SequenceInputStream(new ByteArrayInputStream((
                            chat("{\"role\":\"assistant\",\"content\":\"Your key: \"}", null)
                            + chat("{\"content\":\"" + held + "\"}", null)).getBytes(StandardCharsets.UTF_8)),
                            new java.io.InputStream() {
                                @Override
                                public int read() throws java.io.IOException {
                                    throw new java.io.IOException("connection reset");
                                }
                            }),
                    ClientApi.CHAT_COMPLETIONS, new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"), out,
                    new AttemptHandle(ticks::incrementAndGet, 0),
                    new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")), false);

            assertThat(result).as(held).isInstanceOf(RelayResult.Broken.class);
            List<JsonNode> events = out.data();
            assertThat(events).as(held).hasSize(3);
            assertThat(events.get(0).at("/choices/0/delta/content").asText()).isEqualTo("Your key: ");
            assertThat(events.get(1).at("/choices/0/delta/content").asText()).as(held)
                    .isEqualTo(held.length() >= 10 ? "[redacted]" : held);
            assertThat(events.get(2).at("/error/code").asText()).isEqualTo("stream_broken");
            assertThat(out.raw()).doesNotContain("[DONE]").doesNotContain("sk-secret-1");
            assertThat(out.aborted()).isTrue();
        }
    }

    private static String chatOf(int choice, String delta, String finish) {
        return chat(delta, finish).replace("\"index\":0", "\"index\":" + choice);
    }

    /** Two choices streamed in turns: each holds its own text, and every event leaves once, in the order it came. */
    @Test
    void eventsPilingUpBehindHeldTextLetItGoAndTheKeysRestIsStillRemoved() {
        // a provider that cuts a key's beginning, then sends event after event without text before its rest
        StringBuilder first = new StringBuilder(chat("{\"role\":\"assistant\",\"content\":\"Your key: test-k\"}", null));
        int empty = RawStreamRelay.MAX_WAITING * 3;
        for (int i = 0; i < empty; i++) {
            first.append(chat("{}", null));
        }
        byte[] rest = (chat("{\"content\":\"ey-oa is it.\"}", null) + chat("{}", "stop") + "data: [DONE]\n\n")
                .getBytes(StandardCharsets.UTF_8);
        int[] sentBeforeTheRest = {-1};
        java.io.InputStream later = new java.io.InputStream() {
            private final ByteArrayInputStream bytes = new ByteArrayInputStream(rest);

            @Override
            public int read() {
                note();
                return bytes.read();
            }

            @Override
            public int read(byte[] into, int off, int len) {
                note();
                return bytes.read(into, off, len);
            }

            private void note() {
                if (sentBeforeTheRest[0] < 0) {
                    sentBeforeTheRest[0] = sink.events().size();
                }
            }
        };
        RelayResult result = relay.relay(new java.io.SequenceInputStream(
                        new ByteArrayInputStream(first.toString().getBytes(StandardCharsets.UTF_8)), later),
                ClientApi.CHAT_COMPLETIONS, new OpenAiDialect(json, Clock.systemUTC()).streamDecoder("m"), sink,
                handle, new StreamSink.Commit("req_1", "p", "m", List.of("p:m=ok")), false);

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(sentBeforeTheRest[0]).as("events sent before the key's rest arrived")
                .isGreaterThanOrEqualTo(empty + 1 - RawStreamRelay.MAX_WAITING);
        assertThat(sink.raw()).doesNotContain(KEY);
        assertThat(joined("choices", "delta", "content")).doesNotContain(KEY).startsWith("Your key: ")
                .endsWith(" is it.");
    }

    @Test
    void twoChoicesInTurnsEachHoldTheirOwnTextAndEveryEventLeavesOnceInOrder() {
        RelayResult result = relay(ClientApi.CHAT_COMPLETIONS, new OpenAiDialect(json, Clock.systemUTC())
                .streamDecoder("m"), chatOf(0, "{\"content\":\"Your key: test-\"}", null)
                + chatOf(1, "{\"content\":\"Hi t\"}", null)
                + chatOf(0, "{\"content\":\"key-oa.\"}", null)
                + chatOf(1, "{\"content\":\"here\"}", null)
                + chatOf(1, "{}", "stop") + chatOf(0, "{}", "stop") + "data: [DONE]\n\n");

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(sink.raw()).doesNotContain(KEY);
        StringBuilder first = new StringBuilder();
        StringBuilder second = new StringBuilder();
        List<Integer> order = new ArrayList<>();
        for (String event : sink.events()) {
            if (event.contains("[DONE]")) {
                continue;
            }
            try {
                JsonNode choice = json.readTree(event.substring("data: ".length())).path("choices").path(0);
                order.add(choice.path("index").asInt());
                (choice.path("index").asInt() == 0 ? first : second).append(choice.path("delta").path("content")
                        .asText(""));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        assertThat(first.toString()).isEqualTo("Your key: [redacted].");
        assertThat(second.toString()).isEqualTo("Hi there");
        assertThat(order).containsExactly(0, 1, 0, 1, 1, 0);
        assertThat(sink.raw()).endsWith("data: [DONE]\n\n");
    }

    private static String responses(String type, int sequence, String rest) {
        return "event: " + type + "\n" + data("{\"type\":\"" + type + "\",\"sequence_number\":" + sequence + rest
                + "}");
    }

    /**
     * Text held back at the end of a Responses text, released when the text ends, leaves in the event it was cut
     * from: no event is repeated, the sequence numbers rise strictly, as a client checks them.
     */
    @Test
    void aResponsesStreamKeepsItsSequenceNumbersWhenHeldTextIsReleased() {
        String item = ",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0";
        String call = ",\"item_id\":\"fc_1\",\"output_index\":1";
        RelayResult result = relay(ClientApi.RESPONSES, ResponsesReading.decoder(json, "m"),
                responses("response.created", 0, ",\"response\":{\"id\":\"resp_1\",\"model\":\"m\"}")
                + responses("response.output_text.delta", 1, item + ",\"delta\":\"Hello, \"")
                + responses("response.output_text.delta", 2, item + ",\"delta\":\"I test\"")
                + responses("response.output_text.done", 3, item + ",\"text\":\"Hello, I test\"")
                + responses("response.function_call_arguments.delta", 4, call + ",\"delta\":\"{\\\"k\\\":\\\"te\"")
                + responses("response.function_call_arguments.delta", 5, call + ",\"delta\":\"st-ke\"")
                + responses("response.function_call_arguments.delta", 6, call + ",\"delta\":\"y-oa\\\"}\"")
                + responses("response.function_call_arguments.done", 7, call + ",\"arguments\":\"{}\"")
                + responses("response.completed", 8,
                        ",\"response\":{\"id\":\"resp_1\",\"model\":\"m\",\"status\":\"completed\"}"));

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        List<Integer> numbers = new ArrayList<>();
        sink.data().forEach(event -> numbers.add(event.get("sequence_number").asInt()));
        assertThat(numbers).as("each event once, in order").containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(sink.eventNames()).hasSize(9);
        List<String> texts = new ArrayList<>();
        List<String> arguments = new ArrayList<>();
        for (JsonNode event : sink.data()) {
            if (event.get("type").asText().equals("response.output_text.delta")) {
                texts.add(event.get("delta").asText());
            }
            if (event.get("type").asText().equals("response.function_call_arguments.delta")) {
                arguments.add(event.get("delta").asText());
            }
        }
        assertThat(String.join("", texts)).isEqualTo("Hello, I test");
        assertThat(String.join("", arguments)).isEqualTo("{\"k\":\"[redacted]\"}");
        assertThat(sink.raw()).doesNotContain(KEY);
    }

    private static String gemini(String parts, String finish) {
        return data("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":" + parts + "},\"index\":0"
                + (finish == null ? "" : ",\"finishReason\":\"" + finish + "\"") + "}],\"modelVersion\":\"m\"}");
    }

    /** A Gemini event whose text is several parts takes what was held before as any other. */
    @Test
    void aKeyCutIntoAGeminiEventOfSeveralPartsIsRedactedWhole() {
        RelayResult result = relay(ClientApi.GEMINI, new GeminiDialect(json, Clock.systemUTC()).streamDecoder("m"),
                gemini("[{\"text\":\"Your key: test-ke\"}]", null)
                + gemini("[{\"text\":\"y-oa\"},{\"text\":\" is it.\"}]", "STOP"));

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(joined("candidates", "content", "parts", "text")).isEqualTo("Your key: [redacted] is it.");
        assertThat(sink.raw()).doesNotContain(KEY).doesNotContain("y-oa");
        assertThat(sink.data()).hasSize(2);
    }

    private static String anthropic(String type, String rest) {
        return "event: " + type + "\n" + data("{\"type\":\"" + type + "\"" + rest + "}");
    }

    @Test
    void aKeyCutAcrossThinkingDeltasIsRedactedWhole() {
        RelayResult result = relay(ClientApi.MESSAGES, new AnthropicDialect(json, Clock.systemUTC())
                .streamDecoder("m"), anthropic("message_start", ",\"message\":{\"id\":\"msg_1\",\"model\":\"m\","
                        + "\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}")
                + anthropic("content_block_start", ",\"index\":0,\"content_block\":{\"type\":\"thinking\","
                        + "\"thinking\":\"\"}")
                + anthropic("content_block_delta", ",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
                        + "\"thinking\":\"use tes\"}")
                + anthropic("content_block_delta", ",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
                        + "\"thinking\":\"t-key-o\"}")
                + anthropic("content_block_delta", ",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
                        + "\"thinking\":\"a. t\"}")
                + anthropic("content_block_stop", ",\"index\":0")
                + anthropic("message_delta", ",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":"
                        + "{\"output_tokens\":5}")
                + anthropic("message_stop", ""));

        assertThat(result).isInstanceOf(RelayResult.Replied.class);
        assertThat(joined("delta", "thinking")).isEqualTo("use [redacted]. t");
        assertThat(sink.eventNames()).containsExactly("message_start", "content_block_start",
                "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop");
        assertThat(sink.raw()).doesNotContain(KEY);
    }
}
