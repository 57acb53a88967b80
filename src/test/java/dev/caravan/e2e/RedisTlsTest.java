package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.state.RedisServer;
import dev.caravan.state.RedisStateStore;
import dev.caravan.state.StateSettings;
import dev.caravan.state.StateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real redis-server that speaks TLS only, its certificate signed by an authority made for the test: the gateway
 * reaches it at {@code rediss://} with {@code caravan.state.redis-trust-store}, and checks the certificate.
 */
class RedisTlsTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.tls();

    private static StateSettings.RedisTrust trust() {
        return new StateSettings.RedisTrust(redis.trustStore(), RedisServer.TRUST_STORE_PASSWORD.toCharArray());
    }

    @Test
    void theStoreTalksTlsToAServerItsTrustStoreVouchesFor() {
        try (StateStore store = new RedisStateStore(RedisStateStore.connect(URI.create(redis.url()),
                Duration.ofSeconds(5), 2, trust()), "tls:")) {
            store.exchange(List.of(new StateStore.Write("k", 1, "over tls", Duration.ofMinutes(1))), List.of());
            assertThat(store.exchange(List.of(), List.of("k"))).containsExactly("over tls");
        }
    }

    @Test
    void withoutTheTrustStoreTheServerIsNotTrusted() {
        try (StateStore store = new RedisStateStore(RedisStateStore.connect(URI.create(redis.url()),
                Duration.ofSeconds(5), 2, null), "tls:")) {
            assertThatThrownBy(() -> store.exchange(List.of(), List.of("k")))
                    .isInstanceOf(StateStore.Unavailable.class);
        }
    }

    @Test
    void aGatewayOnRedissSharesItsClientsLedgerOverTls() {
        try (Gateway gateway = Gateway.start(List.of("alpha"), Gateway.props(
                "caravan.jms.enabled", "false",
                "caravan.file.enabled", "false",
                "caravan.price.alpha.model-alpha.input", "0",
                "caravan.price.alpha.model-alpha.output", "1000",
                "caravan.clients.team.key", "ck-team",
                "caravan.clients.team.budget", "5",
                "caravan.state.store", "redis",
                "caravan.state.redis-url", redis.url(),
                "caravan.state.redis-trust-store", redis.trustStore().toString(),
                "caravan.state.redis-trust-store-password", RedisServer.TRUST_STORE_PASSWORD,
                "caravan.state.key-prefix", "gw:",
                "caravan.state.refresh-interval", "100ms",
                "caravan.state.timeout", RedisServer.COMMAND_TIMEOUT.toSeconds() + "s"))) {
            Map<String, String> auth = Map.of("Authorization", "Bearer ck-team");
            assertThat(gateway.post("/v1/chat/completions", "{\"model\":\"fast\",\"max_tokens\":10,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", auth).statusCode()).isEqualTo(200);

            eventually("the spend, settled and read back over TLS")
                    .pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                        JsonNode clients = Gateway.JSON.readTree(HttpClient.newHttpClient().send(HttpRequest
                                .newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/clients"))
                                .header("Authorization", "Bearer ck-team").build(),
                                HttpResponse.BodyHandlers.ofString()).body());
                        assertThat(clients.at("/ledger/counted").asText()).isEqualTo("shared");
                        assertThat(clients.at("/data/0/spent_usd").asDouble()).isEqualTo(0.01);
                    });
        }
        try (var admin = RedisStateStore.connect(URI.create(redis.url()), Duration.ofSeconds(5), 1, trust())) {
            assertThat(admin.keys("gw:client:team:budget:*")).isNotEmpty();
        }
    }
}
