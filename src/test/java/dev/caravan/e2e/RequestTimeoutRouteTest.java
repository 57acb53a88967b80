package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's HTTP route with platform-http's {@code requestTimeout} (which puts Vert.x Web's TimeoutHandler before
 * it, and so an end handler of the routing context's on every response) on a real gateway and socket: once a counted
 * body's request is answered, its bytes are given back to caravan.http.max-inflight-body-bytes while its connection
 * stays open, and the connection serves its next request. Vert.x keeps one end handler per response: the routing
 * context's took over the connection guard's, and the body stayed counted until the client closed the connection.
 */
class RequestTimeoutRouteTest {

    private static final String ROUTE = """
            - route:
                id: own-timed
                from:
                  uri: "platform-http:/own/timed"
                  parameters:
                    requestTimeout: 600000
                  steps:
                    - setBody:
                        constant: "{\\"ok\\":true}"
            """;

    @TempDir
    Path dir;

    @Test
    void aCountedBodyIsGivenBackWhenItsRequestIsAnsweredThroughATimeoutHandler() throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Files.writeString(routes.resolve("own-timed.camel.yaml"), ROUTE);
        try (Gateway gateway = Gateway.start(List.of("alpha"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes),
                "caravan.http.max-inflight-body-bytes", Integer.toString(8 * 1024 * 1024)));
                RawHttp caller = new RawHttp(gateway.port())) {
            String body = "{\"a\":\"" + "a".repeat(100_000) + "\"}"; // over the size bodies start to be counted at

            String first = caller.send(post(body)).readResponse();

            assertThat(first).startsWith("HTTP/1.1 200").contains("{\"ok\":true}");
            eventually("the body given back while its connection is open")
                    .until(() -> metric(gateway, "caravan_http_body_inflight_bytes") == 0.0);
            assertThat(caller.send(post(body)).readResponse()).as("the same connection's next request")
                    .startsWith("HTTP/1.1 200");
            eventually().until(() -> metric(gateway, "caravan_http_body_inflight_bytes") == 0.0);
        }
    }

    private static String post(String body) {
        return "POST /own/timed HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    }

    private static double metric(Gateway gateway, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? (\\S+)$")
                .matcher(gateway.management("/observe/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
