package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client that never finishes its request is cut off: an idle connection, one trickling its headers, one
 * trickling its body, one lingering after its answer. Short limits set by properties; each test asserts that the
 * server closed the connection (a read that would otherwise wait the test's patience out).
 */
class ConnectionLimitsTest {

    private static final String CHAT = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.http.head-timeout", "1s",
            "caravan.http.keep-alive-timeout", "1s",
            "caravan.http.body-timeout", "1s",
            "caravan.http.max-header-size", "2048",
            "caravan.http.max-initial-line-length", "512"));

    private final ScheduledExecutorService trickler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopTrickling() {
        trickler.shutdownNow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"api", "management"})
    void aConnectionThatSendsNothingIsClosed(String port) {
        try (RawHttp idle = new RawHttp(port.equals("api") ? gateway.port() : gateway.managementPort())) {
            assertThat(idle.readToClose()).isEmpty();
        }
    }

    @Test
    void aConnectionTricklingItsHeadersIsClosed() {
        String head = "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(4000);
        try (RawHttp slow = new RawHttp(gateway.port())) {
            AtomicInteger sent = trickle(slow, head);

            assertThat(slow.readToClose()).isEmpty();
            assertThat(sent.get()).isLessThan(head.length()); // it was cut off mid-head, not answered
        }
    }

    @Test
    void aBodyTricklingInIsAnswered408AndClosed() {
        String body = CHAT + " ".repeat(4000);
        try (RawHttp slow = new RawHttp(gateway.port())) {
            slow.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n");
            trickle(slow, body);

            String answer = slow.readToClose();

            assertThat(answer).startsWith("HTTP/1.1 408").contains("\"code\":\"request_timeout\"");
        }
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @Test
    void aKeptAliveConnectionIsClosedWhenItsNextRequestDoesNotCome() {
        try (RawHttp client = new RawHttp(gateway.port())) {
            client.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(client.readResponse()).startsWith("HTTP/1.1 200");

            trickle(client, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(4000));

            assertThat(client.readToClose()).isEmpty();
        }
    }

    @Test
    void aPromptClientIsServedOnOneConnectionAgainAndAgain() {
        try (RawHttp client = new RawHttp(gateway.port())) {
            for (int i = 0; i < 3; i++) {
                client.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n");
                assertThat(client.readResponse()).startsWith("HTTP/1.1 200");
            }
        }
    }

    @Test
    void headersLargerThanTheLimitAreAnswered431AndClosed() {
        try (RawHttp client = new RawHttp(gateway.port())) {
            client.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(3000) + "\r\n\r\n");

            String answer = client.readToClose();

            assertThat(answer).matches("(?s)HTTP/1.[01] 431.*").containsIgnoringCase("content-type: application/json")
                    .contains("\"code\":\"headers_too_large\"").contains("2048 bytes (caravan.http.max-header-size)");
        }
    }

    @Test
    void aRequestLineLongerThanTheLimitIsAnswered414AndClosed() {
        try (RawHttp client = new RawHttp(gateway.port())) {
            client.send("GET /v1/models?" + "a".repeat(1000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");

            String answer = client.readToClose();

            assertThat(answer).matches("(?s)HTTP/1.[01] 414.*").containsIgnoringCase("content-type: application/json")
                    .contains("\"code\":\"request_line_too_long\"")
                    .contains("512 bytes (caravan.http.max-initial-line-length)");
        }
    }

    @Test
    void aRequestThatIsNotHttpIsAnswered400InJsonAndClosed() {
        try (RawHttp client = new RawHttp(gateway.port())) {
            client.send("G{T /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n");

            String answer = client.readToClose();

            assertThat(answer).matches("(?s)HTTP/1.[01] 400.*").containsIgnoringCase("content-type: application/json")
                    .contains("\"code\":\"bad_request\"");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInTurn() {
        try (RawHttp client = new RawHttp(gateway.port())) {
            client.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(3));

            for (int i = 0; i < 3; i++) {
                assertThat(client.readResponse()).startsWith("HTTP/1.1 200");
            }
        }
    }

    /** Sends {@code text} a byte every 50 ms in the background until it is all sent or the server stops taking it. */
    private AtomicInteger trickle(RawHttp client, String text) {
        AtomicInteger sent = new AtomicInteger();
        ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
        task[0] = trickler.scheduleAtFixedRate(() -> {
            int next = sent.get();
            if (next >= text.length() || !client.trySend(text.substring(next, next + 1))) {
                task[0].cancel(false);
                return;
            }
            sent.incrementAndGet();
        }, 0, 50, TimeUnit.MILLISECONDS);
        return sent;
    }
}
