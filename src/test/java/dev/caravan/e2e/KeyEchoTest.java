package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.caravan.simulator.Fault;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A provider that echoes its API key, in a 200 answer, a stream or an error, never hands it to the caller. */
class KeyEchoTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(
            List.of("openai", "claude:anthropic", "gem:gemini"), Gateway.props("caravan.routing.policy", "priority"));

    private static String body(boolean stream) {
        return "{\"model\":\"fast\"," + (stream ? "\"stream\":true," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "claude", "gem"})
    void anEchoedKeyIsRemovedFromAWholeAnswer(String provider) {
        gateway.provider(provider).fail(Fault.echoingKey());

        HttpResponse<String> response = gateway.post("/v1/chat/completions", body(false),
                Map.of("x-caravan-providers", provider));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertNoKey(provider, response.body(), response.headers());
        assertThat(Gateway.json(response).at("/choices/0/message/content").asText())
                .isEqualTo("Simulated reply from " + provider + " (model-" + provider + ") to: hello there");
        // the echo came through the fields the dialect keeps, blanked
        assertThat(Gateway.json(response).get("id").asText()).endsWith("[redacted]");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "claude", "gem"})
    void anEchoedKeyIsRemovedFromEveryStreamEvent(String provider) {
        gateway.provider(provider).fail(Fault.echoingKey());

        Gateway.Streamed streamed = gateway.stream(body(true).replace("\"model\":\"fast\"",
                "\"model\":\"fast\",\"caravan\":{\"providers\":[\"" + provider + "\"]}"));

        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.done()).isTrue();
        assertThat(streamed.header("x-caravan-provider")).isEqualTo(provider);
        StringBuilder all = new StringBuilder(streamed.plain());
        streamed.events().forEach(e -> all.append(e.data()).append('\n'));
        assertNoKey(provider, all.toString(), streamed.headers());
        assertThat(streamed.text())
                .isEqualTo("Simulated reply from " + provider + " (model-" + provider + ") to: hello there");
        assertThat(streamed.chunks().getFirst().get("id").asText()).endsWith("[redacted]");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "claude", "gem"})
    void anEchoedKeyIsRemovedFromAProviderErrorPassedToTheCaller(String provider) {
        gateway.provider(provider).fail(Fault.status(400).withKeyEchoed());

        HttpResponse<String> response = gateway.post("/v1/chat/completions", body(false),
                Map.of("x-caravan-providers", provider));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("[redacted]");
        assertNoKey(provider, response.body(), response.headers());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "claude"})
    void anEchoedKeyIsRemovedFromTheOutboxFile(String provider) throws Exception {
        gateway.provider(provider).fail(Fault.echoingKey());
        Path inbox = gateway.data("inbox");
        Files.createDirectories(inbox);
        String name = "echo-" + provider;
        Files.writeString(inbox.resolve(name + ".json.part"), "{\"model\":\"fast\",\"caravan\":{\"providers\":[\""
                + provider + "\"]},\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");
        Files.move(inbox.resolve(name + ".json.part"), inbox.resolve(name + ".json"));

        // the answer is <file name>.json in the outbox
        Path answer = gateway.data("outbox").resolve(name + ".json.json");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(answer) && Files.size(answer) > 0);

        String written = Files.readString(answer);
        assertThat(written).contains("Simulated reply from " + provider);
        assertNoKey(provider, written, HttpHeaders.of(Map.of(), (a, b) -> true));
    }

    private static void assertNoKey(String provider, String body, HttpHeaders headers) {
        String key = "test-key-" + provider;
        assertThat(body).doesNotContain(key).doesNotContain(key.substring(0, key.length() / 2))
                .doesNotContain(key.substring(key.length() / 2));
        headers.map().forEach((name, values) -> values.forEach(value ->
                assertThat(value).as(name).doesNotContain(key)));
    }
}
