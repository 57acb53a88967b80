package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import dev.caravan.resume.ResumableWriter;
import dev.caravan.routing.RequestContext;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import org.apache.camel.Processor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure inside the gateway after a streamed answer began, through real sockets: the answer's status and head
 * are out, so it cannot become an error answer; the client gets its stream ended as broken, and the request's
 * exchange completes all the same (its place among the exchanges in flight, the holds its completion releases).
 */
class FailureAfterStreamBeganTest {

    @TempDir
    Path dir;

    @Test
    void aFailureWhileACutStreamWaitsToBeResumedEndsItAsBrokenAndCompletesTheExchange() throws Exception {
        String attempt = """
                                    - toD:
                                        uri: "${exchangeProperty[caravan.attemptRoute]}"
                """;
        // an operator's step after each attempt that fails unexpectedly once a stream broke after its first content
        // and waits for the next target to continue it
        Processor broken = exchange -> {
            ResumableWriter resume = RequestContext.on(exchange).resume();
            if (resume != null && resume.awaitingContinuation()) {
                throw new IllegalStateException("an unforeseen failure between two attempts");
            }
        };
        try (Gateway gateway = OperatorStep.after(dir, "chat.camel.yaml", attempt, "broken", broken)
                .start(List.of("alpha", "beta"),
                        "caravan.routing.policy", "priority",
                        "caravan.streaming.resume", "true")) {
            gateway.provider("alpha").fail(Fault.streaming(StreamFault.none().cutAfter(5)));
            String body = "{\"model\":\"fast\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"tell me a story\"}]}";

            String raw;
            try (RawHttp http = new RawHttp(gateway.port())) {
                raw = http.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).readToClose();
            }

            assertThat(raw).startsWith("HTTP/1.1 200").containsIgnoringCase("x-caravan-provider: alpha");
            assertThat(raw).as("the stream's own error event").contains("\"code\":\"stream_broken\"");
            assertThat(raw).as("never a clean end").doesNotContain("[DONE]").doesNotEndWith("\r\n0\r\n\r\n")
                    .doesNotContain("internal_error");
            assertThat(gateway.provider("beta").chatCalls()).as("the request ended with the failure").isZero();
            eventually().untilAsserted(() -> assertThat(
                    gateway.camel().getInflightRepository().size()).as("exchanges in flight").isZero());

            assertThat(gateway.chat("fast", "hello").statusCode()).as("the next request is served").isEqualTo(200);
        }
    }
}
