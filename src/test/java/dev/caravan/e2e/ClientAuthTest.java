package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** With caravan.auth.keys set, every API call needs one of the keys; the provider still gets only its own key. */
class ClientAuthTest {

    private static final String BODY = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            List.of("alpha"), Gateway.props("caravan.auth.keys", "ck-first-key, ck-second-key"));

    @ParameterizedTest
    @ValueSource(strings = {"ck-first-key", "ck-second-key"})
    void aConfiguredKeyIsServedAndTheProviderGetsItsOwnKey(String key) {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY,
                Map.of("Authorization", "Bearer " + key));

        assertThat(response.statusCode()).isEqualTo(200); // the simulator accepts only test-key-alpha
        assertThat(response.body()).doesNotContain(key);
    }

    @Test
    void noKeyIsRefusedWith401() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, Map.of());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(Gateway.json(response).at("/error/code").asText()).isEqualTo("missing_api_key");
        assertThat(gateway.provider("alpha").chatCalls()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer ck-first-ke", "Bearer ck-first-key-and-more", "Basic ck-first-key", "ck-first-key"})
    void aWrongKeyIsRefusedWith401WithoutEchoingIt(String authorization) {
        long before = gateway.provider("alpha").chatCalls();

        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY,
                Map.of("Authorization", authorization));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).doesNotContain("ck-first");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/models", "/v1/providers"})
    void theOtherApiRoutesNeedAKeyToo(String path) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + gateway.port() + path);

        int without = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
        int with = client.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer ck-second-key").build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();

        assertThat(without).isEqualTo(401);
        assertThat(with).isEqualTo(200);
    }
}
