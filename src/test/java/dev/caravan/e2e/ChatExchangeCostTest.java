package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.testing.LogCapture;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.vertx.core.Vertx;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * How chat completions are served on the event loops: the API's connections are spread over them, and a step of an
 * operator's own on the chat route still reads the request's headers from the request (which the route's exchange
 * keeps as its message from the request's read to its reply).
 */
class ChatExchangeCostTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.http.event-loops", "2"));

    /** The ingress's step that makes the reply. */
    private static final String RENDER = """
                          - process:
                              ref: httpReplies.render
            """;

    @TempDir
    Path dir;

    @Test
    void theApisConnectionsAreServedOnAsManyEventLoopsAsConfigured() {
        try (RequestLogCapture log = RequestLogCapture.attach("event-loops")) {
            for (int i = 0; i < 4; i++) {
                try (RawHttp connection = new RawHttp(gateway.port())) {
                    String answer = connection.send(chatRequest("connection " + i)).readResponse();
                    assertThat(answer).startsWith("HTTP/1.1 200");
                }
            }

            eventually().until(() -> log.threads().size() == 4);
            assertThat(log.threads()).allSatisfy(thread -> assertThat(thread).startsWith("vert.x-eventloop-thread-"));
            assertThat(Set.copyOf(log.threads())).as("connections taken in turn by each loop's server").hasSize(2);
        }
    }

    @Test
    void aRequestsAsynchronousStepsFindNoEventNotifierToConsult() {
        // each step that goes on asynchronously walks the started notifiers for one that wants to hear of it: none
        // does, so none is left once the gateway has started (without route reloading)
        try (RawHttp connection = new RawHttp(gateway.port())) {
            assertThat(connection.send(chatRequest("notified")).readResponse()).startsWith("HTTP/1.1 200");
        }

        assertThat(gateway.camel().getManagementStrategy().getStartedEventNotifiers()).isEmpty();
    }

    @Test
    void vertxIsClosedOnceTheGatewayHasStopped() {
        Vertx vertx;
        try (Gateway stopping = Gateway.start("alpha")) {
            vertx = stopping.camel().getRegistry().lookupByNameAndType("vertx", Vertx.class);
            assertThat(vertx.nettyEventLoopGroup().isShuttingDown()).isFalse();
        }

        eventually().until(() -> vertx.nettyEventLoopGroup().isTerminated());
    }

    @Test
    void anOperatorsStepOnTheChatRouteReadsTheRequestsHeaders() throws Exception {
        // after the reply is made, as an operator would tag it: the caller's team, read from the request itself
        Processor teamTag = exchange -> tag(exchange);
        OperatorStep step = OperatorStep.after(dir, "ingress-http.camel.yaml", RENDER, "teamTag", teamTag);
        try (Gateway tagged = step.start(List.of("alpha"))) {
            var answer = tagged.post("/v1/chat/completions",
                    "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
                    Map.of("x-team", "search"));

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("x-caravan-team")).hasValue("search");
        }
    }

    @Test
    void aStepThatThrowsOnTheChatRouteIsAnsweredAsAJsonInternalErrorThatShowsNothingOfTheException()
            throws Exception {
        // an operator's step that fails unexpectedly, on the exchange the event loop completes (InOnly)
        Processor broken = exchange -> {
            if ("yes".equals(((HttpMessage) exchange.getMessage()).getRequest().getHeader("x-break"))) {
                throw new IllegalStateException("broken step holding sk-secret-0123456789");
            }
        };
        try (Gateway gateway = OperatorStep.before(dir, "ingress-http.camel.yaml", RENDER, "broken", broken)
                .start(List.of("alpha"))) {
            String body = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
            var failed = gateway.post("/v1/chat/completions", body, Map.of("x-break", "yes"));

            assertJsonInternalError(failed);
            assertThat(failed.headers().firstValue("x-caravan-request-id")).isPresent();

            assertThat(gateway.post("/v1/chat/completions", body, Map.of()).statusCode())
                    .as("the next request is served").isEqualTo(200);
        }
    }

    @Test
    void aStepThatThrowsOnTheSharedChatRouteIsAnsweredByItsIngressAsAJsonInternalError() throws Exception {
        // an operator's step on direct:chat (shared by every ingress) that fails unexpectedly: the route the
        // request came in by answers it, as for a failure of its own steps
        Processor broken = exchange -> {
            if (((HttpMessage) exchange.getMessage()).getRequest().getHeader("x-break") != null) {
                throw new IllegalStateException("broken step holding sk-secret-0123456789");
            }
        };
        String plan = """
                        - process:
                            ref: router.plan
                """;
        try (Gateway gateway = OperatorStep.after(dir, "chat.camel.yaml", plan, "broken", broken)
                .start(List.of("alpha"));
                LogCapture logs = LogCapture.attach()) {
            String body = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
            var failed = gateway.post("/v1/chat/completions", body, Map.of("x-break", "yes"));

            assertJsonInternalError(failed);
            assertThat(logs.text()).as("the failure is the ingress's to answer and log, once")
                    .contains("failed inside the gateway").doesNotContain("Failed delivery");
            assertThat(logs.text()).as("logged without the key its message held")
                    .contains("broken step holding").doesNotContain("sk-secret");

            assertThat(gateway.post("/v1/chat/completions", body, Map.of()).statusCode())
                    .as("the next request is served").isEqualTo(200);
        }
    }

    /** {@code failed} is a JSON internal error that shows nothing of the step's exception. */
    private static void assertJsonInternalError(HttpResponse<String> failed) throws IOException {
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        JsonNode error = Gateway.JSON.readTree(failed.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("internal_error");
        assertThat(failed.body()).doesNotContain("sk-secret").doesNotContain("IllegalStateException");
    }

    private static void tag(Exchange exchange) {
        HttpMessage message = (HttpMessage) exchange.getMessage();
        message.setHeader("x-caravan-team", message.getRequest().getHeader("x-team"));
    }

    private static String chatRequest(String prompt) {
        String body = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
    }
}
