package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FailoverTest {

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = Gateway.start("alpha", "beta", "gamma");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @BeforeEach
    void heal() {
        for (String p : new String[] {"alpha", "beta", "gamma"}) {
            gateway.provider(p).heal();
            gateway.provider(p).resetCounts();
        }
    }

    @Test
    void answersInOpenAiFormatWithWhatHappenedInHeaders() {
        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Gateway.json(response);
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("model").asText()).isEqualTo("model-alpha");
        assertThat(body.at("/choices/0/message/content").asText()).contains("alpha").contains("hello");
        assertThat(body.at("/usage/total_tokens").asInt()).isPositive();
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("alpha");
        assertThat(response.headers().firstValue("x-caravan-model")).hasValue("model-alpha");
        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(response.headers().firstValue("x-caravan-request-id")).hasValueSatisfying(
                id -> assertThat(id).startsWith("req_"));
    }

    @Test
    void servedByTheNextCandidateWhenThePrimaryIsUnavailable() {
        gateway.provider("alpha").fail(Fault.status(503));

        HttpResponse<String> response = gateway.chat("fast", "hello");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(response.headers().firstValue("x-caravan-attempts")).hasValue(
                "alpha:model-alpha=unavailable(503), alpha:model-alpha=unavailable(503), beta:model-beta=ok");
        assertThat(gateway.provider("alpha").chatCalls()).isEqualTo(2);
    }
}
