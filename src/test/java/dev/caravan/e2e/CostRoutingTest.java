package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Prices, token estimates and context windows steering real requests; costs reported after the call. */
class CostRoutingTest {

    private static final String BODY = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"price me\"}]}";

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            "caravan.routing.policy", "priority",
            // alpha dear, beta cheap (USD per million tokens)
            "caravan.price.alpha.model-alpha.input", "10", "caravan.price.alpha.model-alpha.output", "30",
            "caravan.price.beta.model-beta.input", "0.1", "caravan.price.beta.model-beta.output", "0.4",
            "caravan.context-window.model-alpha", "300", "caravan.context-window.model-beta", "100000"));

    @Test
    void theCostPolicyPicksTheCheaperTargetAndTheAnswerSaysWhatItCost() throws Exception {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-policy", "cost"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        JsonNode usage = Gateway.json(response).get("usage");
        double expected = usage.get("prompt_tokens").asInt() * 0.1 / 1e6 + usage.get("completion_tokens").asInt() * 0.4 / 1e6;
        double cost = Double.parseDouble(response.headers().firstValue("x-caravan-cost").orElseThrow());
        assertThat(cost).isCloseTo(expected, within(1e-12));
        double estimate = Double.parseDouble(response.headers().firstValue("x-caravan-estimated-cost").orElseThrow());
        assertThat(estimate).isPositive().isLessThan(1e-3); // a few prompt tokens plus the default answer length
        // model-beta is no OpenAI model: counted with the closest encoding, and said to be approximate
        assertThat(response.headers().firstValue("x-caravan-estimated-prompt-tokens")).hasValueSatisfying(v ->
                assertThat(v).matches("\\d+; approximate"));
    }

    @Test
    void aCostCapBelowEveryEstimateLeavesNoTargetAndSaysWhy() {
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY,
                Map.of("x-caravan-max-cost", "0.0000000001"));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(Gateway.json(response).at("/error/message").asText()).contains("over_cost_cap");
    }

    @Test
    void aCapThatOnlyTheCheapTargetMeetsSendsTheRequestThere() {
        // alpha's estimate is about (10 prompt tokens x 10 + 256 x 30) / 1e6 = 0.0078 USD; beta's about 0.0001
        HttpResponse<String> response = gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-max-cost", "0.001"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
    }

    @Test
    void aPromptTooLongForTheFirstTargetsWindowGoesToALargerOne() {
        String longPrompt = "word ".repeat(400);
        HttpResponse<String> response = gateway.chat("{\"model\":\"fast\",\"max_tokens\":10,\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"" + longPrompt + "\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
    }

    @Test
    void aPromptTooLargeForEveryWindowIsTheCallersFaultAnswered400WithoutACall() {
        long calls = gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls();
        // beta, the largest, holds 100,000 tokens: a retry would never fit, so this is no 503
        HttpResponse<String> response = gateway.chat("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + "word ".repeat(110_000) + "\"}]}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Retry-After")).isEmpty();
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.get("param").asText()).isEqualTo("messages");
        assertThat(error.get("message").asText()).contains("model-beta, holds 100000 tokens").contains("shorten");
        assertThat(gateway.provider("alpha").chatCalls() + gateway.provider("beta").chatCalls()).isEqualTo(calls);
    }

    @Test
    void anAnswerRoomNoWindowHoldsNamesTheTokenLimit() {
        HttpResponse<String> response = gateway.chat("{\"model\":\"fast\",\"max_tokens\":200000,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = Gateway.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.get("param").asText()).isEqualTo("max_tokens");
        assertThat(error.get("message").asText()).contains("200000 tokens of answer").contains("lower 'max_tokens'");
    }

    @Test
    void aFileDropTooLargeForEveryWindowGoesToTheErrorFolderAtOnce() throws Exception {
        java.nio.file.Path temp = gateway.data("inbox").resolve(".huge.json.part");
        java.nio.file.Files.writeString(temp, "{\"model\":\"fast\",\"max_tokens\":200000,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        java.nio.file.Files.move(temp, gateway.data("inbox").resolve("huge.json"));

        java.nio.file.Path error = gateway.data("error").resolve("huge.json.error.json");
        eventually()
                .until(() -> java.nio.file.Files.exists(error));
        JsonNode reason = Gateway.JSON.readTree(error.toFile());
        assertThat(reason.get("failure_class").asText()).isEqualTo("caller_fault");
        assertThat(reason.get("reason").asText()).contains("does not fit the context window");
        assertThat(gateway.data("inbox").resolve("huge.json")).doesNotExist();
    }

    @Test
    void theCostIsCountedInMetrics() {
        gateway.post("/v1/chat/completions", BODY, Map.of("x-caravan-providers", "beta"));

        assertThat(gateway.management("/observe/metrics").body())
                .containsPattern("caravan_cost_total\\{model=\"model-beta\",provider=\"beta\"} [0-9.eE-]+");
    }
}
