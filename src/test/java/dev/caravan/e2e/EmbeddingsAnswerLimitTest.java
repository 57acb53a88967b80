package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Api;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A caller asking for more vectors than fit the answer size limit cannot open the provider's embeddings breaker for
 * everyone: its over-limit answer is its own fault, answered 400 naming the limit, and an honest request after many
 * such is served.
 */
class EmbeddingsAnswerLimitTest {

    /** 1 MiB: 200 inputs at the simulated model's 1,536 dimensions, as JSON floats, pass it. */
    static final int LIMIT = 1024 * 1024;

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("openai"), Gateway.props(
            "caravan.embedding.model.small", "openai:text-embedding-3-small",
            "caravan.provider-answer.max-size", Integer.toString(LIMIT),
            "caravan.breaker.minimum-calls", "2", "caravan.breaker.sliding-window-size", "4",
            "caravan.breaker.failure-rate-threshold", "50"));

    private static String inputs(int count) {
        StringBuilder input = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            input.append(i == 0 ? "" : ",").append("\"text number ").append(i).append('"');
        }
        return input.append(']').toString();
    }

    @Test
    void answersTooLargeForTheLimitAreTheCallersAndOpenNoBreaker() {
        String tooMuch = "{\"model\":\"small\",\"input\":" + inputs(200) + "}";
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> refused = gateway.get().post("/v1/embeddings", tooMuch, Map.of());
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(Gateway.json(refused).path("error").path("message").asText())
                    .contains(Integer.toString(LIMIT), "caravan.provider-answer.max-size", "200 inputs");
        }
        assertThat(gateway.get().provider("openai").calls(Api.EMBEDDINGS)).isEqualTo(6);

        HttpResponse<String> honest = gateway.get().post("/v1/embeddings",
                "{\"model\":\"small\",\"input\":\"an honest request\"}", Map.of());

        assertThat(honest.statusCode()).as(honest.body()).isEqualTo(200);
        JsonNode data = Gateway.json(honest).path("data");
        assertThat(data).hasSize(1);
        assertThat(data.get(0).path("embedding")).hasSize(1536);
    }
}
