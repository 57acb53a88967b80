package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.caravan.resume.ResumableWriter;
import dev.caravan.routing.RequestContext;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.apache.camel.Processor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A stream that fails after its first piece reached the client, on every client protocol, whether the target speaks
 * the client's protocol (the stream passed through) or another (translated), through real sockets against the
 * simulator's faults: the provider's connection cut mid-answer, the provider silent past the idle limit after a quick
 * first piece, the provider's own error event mid-answer, and a failure inside the gateway while the stream is open.
 * Each ends with the protocol's own error event as the last thing on the wire, never its clean end, in a body aborted
 * without its last chunk, after the one status line; and the request's exchange completes.
 */
class BrokenStreamEveryProtocolTest {

    /**
     * The idle limit, long enough for a healthy stream on a busy machine; the first content's limit is far longer, so
     * that only the idle limit can end a stall.
     */
    private static final Duration IDLE = Duration.ofSeconds(2);

    private static final String ATTEMPT = """
                                - toD:
                                    uri: "${exchangeProperty[caravan.attemptRoute]}"
            """;

    @TempDir
    static Path routesDir;
    private static Gateway gateway;

    /** How a client of each protocol asks for a stream, and how its stream ends, cleanly or broken. */
    enum Protocol {
        CHAT("/v1/chat/completions", "oa", "claude") {
            @Override
            String body(String alias) {
                return "{\"model\":\"" + alias + "\",  \"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"tell me a story\"}]}";
            }

            @Override
            boolean brokenEvent(String event) {
                return event.startsWith("data: {\"error\":") && event.contains("\"code\":\"stream_broken\"");
            }

            @Override
            boolean cleanEnd(String event) {
                return event.contains("data: [DONE]") || event.contains("\"finish_reason\":\"");
            }
        },
        MESSAGES("/v1/messages", "claude", "oa") {
            @Override
            String body(String alias) {
                return "{\"model\":\"" + alias + "\",  \"max_tokens\":256,\"stream\":true,\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"tell me a story\"}]}";
            }

            @Override
            boolean brokenEvent(String event) {
                return event.startsWith("event: error\n") && event.contains("\"type\":\"error\"");
            }

            @Override
            boolean cleanEnd(String event) {
                return event.contains("message_stop") || event.contains("message_delta");
            }
        },
        RESPONSES("/v1/responses", "oa", "claude") {
            @Override
            String body(String alias) {
                // not stored: a stored turn is never passed through
                return "{\"model\":\"" + alias + "\",  \"stream\":true,\"store\":false,\"input\":\"tell me a story\"}";
            }

            @Override
            boolean brokenEvent(String event) {
                return event.startsWith("event: response.failed\n") && event.contains("\"status\":\"failed\"");
            }

            @Override
            boolean cleanEnd(String event) {
                return event.contains("response.completed") || event.contains("response.incomplete");
            }
        },
        GEMINI("/v1beta/models/%s:streamGenerateContent?alt=sse", "gem", "oa") {
            @Override
            String body(String alias) {
                return "{\"contents\":  [{\"role\":\"user\",\"parts\":[{\"text\":\"tell me a story\"}]}]}";
            }

            @Override
            boolean brokenEvent(String event) {
                return event.startsWith("data: {\"error\":") && event.contains("\"status\":\"UNAVAILABLE\"");
            }

            @Override
            boolean cleanEnd(String event) {
                return event.contains("\"finishReason\"");
            }
        };

        private final String path;
        /** The provider that speaks this protocol (its streams are passed through), and one that does not. */
        private final String own;
        private final String other;

        Protocol(String path, String own, String other) {
            this.path = path;
            this.own = own;
            this.other = other;
        }

        /** A streamed request for {@code alias}, with two spaces only a stream passed through keeps. */
        abstract String body(String alias);

        /** Whether {@code event} is the protocol's own error event for a broken stream, as the client last reads it. */
        abstract boolean brokenEvent(String event);

        /** Whether {@code event} belongs to the end of a complete answer. */
        abstract boolean cleanEnd(String event);

        String path(String alias) {
            return path.contains("%s") ? path.formatted(alias) : path;
        }

        String provider(boolean passedThrough) {
            return passedThrough ? own : other;
        }
    }

    /** The faults a provider's stream breaks with after its first pieces reached the client. */
    enum Break {
        CUT(StreamFault.none().cutAfter(3)),
        SILENT(StreamFault.none().stallAfter(2)),
        ERROR_EVENT(StreamFault.none().errorAfter(2));

        private final StreamFault fault;

        Break(StreamFault fault) {
            this.fault = fault;
        }
    }

    @BeforeAll
    static void start() throws IOException {
        // an operator's step after each attempt that fails unexpectedly while a stream broken after its first piece
        // waits for the next target to continue it: a failure inside the gateway with the client's stream open
        Processor failing = exchange -> {
            ResumableWriter resume = RequestContext.on(exchange).resume();
            if (resume != null && resume.awaitingContinuation()) {
                throw new IllegalStateException("an unforeseen failure between two attempts");
            }
        };
        gateway = OperatorStep.after(routesDir, "chat.camel.yaml", ATTEMPT, "failing", failing)
                .start(List.of("oa", "claude:anthropic", "gem:gemini"),
                        "caravan.provider.oa.apis", "chat-completions, responses",
                        "caravan.routing.policy", "priority",
                        "caravan.breaker.minimum-calls", "1000",
                        "caravan.breaker.sliding-window-size", "1000",
                        "caravan.defaults.idle-timeout", IDLE.toMillis() + "ms",
                        "caravan.defaults.first-token-timeout", "5m",
                        // the learned first-token deadline stays at the configured one
                        "caravan.streaming.first-token-min", "5m",
                        "caravan.request.deadline", "10m",
                        "caravan.http.idle-timeout", "11m",
                        // each alias: the provider named, then another that could continue a resumed stream
                        "caravan.model.oa", "oa:model-oa, gem:model-gem",
                        "caravan.model.claude", "claude:model-claude, gem:model-gem",
                        "caravan.model.gem", "gem:model-gem, oa:model-oa");
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.closeNow();
        }
    }

    @BeforeEach
    void heal() {
        gateway.healAll();
    }

    static Stream<Arguments> breaks() {
        List<Arguments> all = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            for (boolean passedThrough : List.of(true, false)) {
                for (Break kind : Break.values()) {
                    all.add(Arguments.of(protocol, passedThrough, kind));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, passed through: {1}, {2}")
    @MethodSource("breaks")
    void aProviderFailingAfterTheFirstPieceEndsTheStreamInTheProtocolsBrokenShape(Protocol protocol,
            boolean passedThrough, Break kind) {
        String provider = protocol.provider(passedThrough);
        gateway.provider(provider).fail(Fault.streaming(kind.fault));

        Wire wire = post(protocol, provider, false);

        assertThat(wire.head()).as(wire.raw()).contains("x-caravan-provider: " + provider);
        assertBrokenInItsShape(protocol, wire);
        String sent = new String(gateway.provider(provider).lastRawBody(), StandardCharsets.UTF_8);
        assertThat(sent.contains("  ")).as("passed through as sent: " + sent).isEqualTo(passedThrough);
        if (kind == Break.SILENT) {
            assertThat(wire.events().getLast()).as("cut at the idle limit, not the first content's")
                    .contains("the provider sent nothing for " + IDLE.toMillis() + " ms");
        }
        assertExchangeCompletedAndNextServed(protocol);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Protocol.class, names = {"MESSAGES", "RESPONSES", "GEMINI"})
    void aFailureInsideTheGatewayWhileTheStreamIsOpenEndsItInTheProtocolsBrokenShape(Protocol protocol) {
        // translated: a stream that may be resumed goes through the gateway's writer
        String provider = protocol.provider(false);
        gateway.provider(provider).fail(Fault.streaming(StreamFault.none().cutAfter(3)));

        Wire wire = post(protocol, provider, true);

        assertBrokenInItsShape(protocol, wire);
        assertThat(wire.events().getLast()).as("the break held back for a continuation").contains("cut off");
        assertThat(gateway.provider("gem").chatCalls() + gateway.provider("oa").chatCalls()
                + gateway.provider("claude").chatCalls()).as("the request ended with the failure").isEqualTo(1);
        assertExchangeCompletedAndNextServed(protocol);
    }

    private static void assertBrokenInItsShape(Protocol protocol, Wire wire) {
        assertThat(wire.raw()).as("one status line").startsWith("HTTP/1.1 200");
        assertThat(Pattern.compile("HTTP/1\\.[01] \\d{3}").matcher(wire.raw()).results().count())
                .as("one status line: " + wire.raw()).isEqualTo(1);
        assertThat(wire.text()).as("the answer's beginning reached the client").contains("Simulated");
        assertThat(protocol.brokenEvent(wire.events().getLast()))
                .as("the protocol's broken-stream event ends it: " + wire.events()).isTrue();
        assertThat(wire.events()).as("never a clean end").noneMatch(protocol::cleanEnd);
        assertThat(wire.terminated()).as("the body is aborted, without its last chunk: " + wire.raw()).isFalse();
    }

    private static void assertExchangeCompletedAndNextServed(Protocol protocol) {
        eventually().untilAsserted(() -> assertThat(
                gateway.camel().getInflightRepository().size()).as("exchanges in flight").isZero());
        gateway.healAll();
        Wire next = post(protocol, protocol.own, false);
        assertThat(next.raw()).startsWith("HTTP/1.1 200");
        assertThat(next.terminated()).as(next.raw()).isTrue();
        assertThat(next.events()).anyMatch(protocol::cleanEnd);
    }

    /** A streamed request of {@code protocol} for the alias of {@code provider}, read until the server closes. */
    private static Wire post(Protocol protocol, String provider, boolean resume) {
        String body = protocol.body(provider);
        try (RawHttp http = new RawHttp(gateway.port())) {
            String raw = http.send("POST " + protocol.path(provider) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nanthropic-version: 2023-06-01\r\n"
                    + (resume ? "x-caravan-resume: true\r\n" : "")
                    + "Connection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).readToClose();
            return Wire.of(raw);
        }
    }

    /**
     * What the client read.
     *
     * @param terminated whether the chunked body ended with its last, empty chunk (a clean end of the body)
     * @param events     the body's events ({@code event:} and {@code data:} lines, without the blank line)
     */
    record Wire(String raw, String head, List<String> events, boolean terminated) {

        private static final Pattern TEXT = Pattern.compile(
                "\"(?:content|text|delta)\":\"((?:[^\"\\\\]|\\\\.)*)\"");

        static Wire of(String raw) {
            int end = raw.indexOf("\r\n\r\n");
            assertThat(end).as("a response head: " + raw).isPositive();
            String head = raw.substring(0, end).toLowerCase(Locale.ROOT);
            assertThat(head).as(raw).contains("transfer-encoding: chunked");
            StringBuilder body = new StringBuilder();
            boolean terminated = false;
            int at = end + 4;
            while (at < raw.length()) {
                int line = raw.indexOf("\r\n", at);
                if (line < 0) {
                    break;
                }
                int size = Integer.parseInt(raw.substring(at, line).trim(), 16);
                if (size == 0) {
                    terminated = true;
                    break;
                }
                int from = line + 2;
                body.append(raw, from, Math.min(raw.length(), from + size));
                at = from + size + 2;
            }
            // Gemini ends its lines with CR LF
            String text = new String(body.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8)
                    .replace("\r\n", "\n");
            List<String> events = Stream.of(text.split("\n\n")).filter(e -> !e.isBlank()).toList();
            return new Wire(raw, head, events, terminated);
        }

        /** Every piece of text the events carry, joined. */
        String text() {
            StringBuilder text = new StringBuilder();
            for (String event : events) {
                Matcher m = TEXT.matcher(event);
                while (m.find()) {
                    text.append(m.group(1));
                }
            }
            return text.toString();
        }
    }
}
