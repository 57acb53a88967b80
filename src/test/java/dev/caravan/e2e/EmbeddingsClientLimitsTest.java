package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Api;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Embeddings requests of named clients go through the same door as their chat requests: the aliases they may use,
 * their budget (held at the estimate before the call, charged after) and their rates.
 */
class EmbeddingsClientLimitsTest {

    static final String MODEL = "text-embedding-3-small";

    /** Input tokens at $10,000 per million: a cent a token, so that a few requests spend a budget of 5 cents. */
    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("openai"), Gateway.props(
            "caravan.auth.keys", "ck-operator",
            "caravan.embedding.model.small", "openai:" + MODEL,
            "caravan.price.openai." + MODEL + ".input", "10000",
            "caravan.clients.capped.key", "ck-capped",
            "caravan.clients.capped.budget", "0.05",
            "caravan.clients.capped.budget-period", "1d",
            "caravan.clients.chat-only.key", "ck-chat-only",
            "caravan.clients.chat-only.models", "fast"));

    private static HttpResponse<String> embed(String key, String input) {
        return gateway.post("/v1/embeddings", "{\"model\":\"small\",\"input\":\"" + input + "\"}",
                Map.of("Authorization", "Bearer " + key));
    }

    private static HttpResponse<String> clients() {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + gateway.port() + "/v1/clients")).header("Authorization", "Bearer ck-operator").build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode clientRow(String name) {
        JsonNode clients = Gateway.json(clients());
        for (JsonNode row : clients.path("data")) {
            if (name.equals(row.path("client").asText())) {
                return row;
            }
        }
        throw new AssertionError("no row for client " + name + ": " + clients);
    }

    @Test
    void anEmbeddingIsChargedToItsClientUntilTheBudgetIsSpentThenRefusedWithoutACall() {
        HttpResponse<String> first = embed("ck-capped", "hello world");

        assertThat(first.statusCode()).isEqualTo(200);
        double cost = Double.parseDouble(first.headers().firstValue("x-caravan-cost")
                .or(() -> first.headers().firstValue("x-caravan-estimated-cost")).orElseThrow());
        assertThat(cost).isPositive();
        assertThat(clientRow("capped").path("spent_usd").asDouble()).isEqualTo(cost);

        HttpResponse<String> last = first;
        for (int i = 0; i < 20 && last.statusCode() == 200; i++) {
            last = embed("ck-capped", "hello world");
        }
        long calls = gateway.provider("openai").calls(Api.EMBEDDINGS);
        HttpResponse<String> refused = embed("ck-capped", "hello world");

        assertThat(last.statusCode()).isEqualTo(429);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Gateway.json(refused).at("/error/code").asText()).isEqualTo("budget_exceeded");
        assertThat(gateway.provider("openai").calls(Api.EMBEDDINGS)).as("no provider called").isEqualTo(calls);
    }

    @Test
    void aClientLimitedToOtherModelsIsRefusedTheEmbeddingAlias() {
        HttpResponse<String> refused = embed("ck-chat-only", "hello");

        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(Gateway.json(refused).at("/error/code").asText()).isEqualTo("model_not_allowed");
    }
}
