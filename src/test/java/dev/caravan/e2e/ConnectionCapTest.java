package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Over caravan.http.max-connections, a new connection is closed at once; a freed place is taken again. */
class ConnectionCapTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha"), Gateway.props(
            "caravan.http.max-connections", "3",
            "caravan.http.head-timeout", "60s"));

    @Test
    void aConnectionOverTheCapIsClosedAtOnceAndAFreedPlaceServesAgain() {
        List<RawHttp> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawHttp client = new RawHttp(gateway.port());
                held.add(client);
                client.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n");
                assertThat(client.readResponse()).startsWith("HTTP/1.1 200"); // each holds a place, kept alive
            }

            try (RawHttp over = new RawHttp(gateway.port())) {
                assertThat(over.trySend("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
                        ? over.readToClose() : "").isEmpty();
            }

            held.removeFirst().close();
            eventually().untilAsserted(() -> {
                try (RawHttp again = new RawHttp(gateway.port())) {
                    again.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                    assertThat(again.readToClose()).startsWith("HTTP/1.1 200");
                }
            });
        } finally {
            held.forEach(RawHttp::close);
        }
    }
}
