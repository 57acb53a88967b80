package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.simulator.Fault;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract of direct:caravan, the entry for operators' own routes: a request or prompt in the body, alias and
 * options in variables; the answer in the body and what happened in variables, never an exception.
 */
class OperatorEntryTest {

    @RegisterExtension
    static final GatewayExtension gateway = GatewayExtension.of(List.of("openai", "gemini:gemini"), Gateway.props(
            "caravan.routing.policy", "priority",
            "caravan.retry.backoff", "10ms",
            "caravan.jms.enabled", "false",
            "caravan.file.enabled", "false",
            "caravan.model.fast", "openai:model-openai, gemini:model-gemini",
            "caravan.model.smart", "gemini:model-gemini, openai:model-openai",
            "caravan.price.openai.model-openai.input", "1",
            "caravan.price.openai.model-openai.output", "2",
            "caravan.price.gemini.model-gemini.input", "1",
            "caravan.price.gemini.model-gemini.output", "2"));

    static ProducerTemplate producer;

    @BeforeAll
    static void start() {
        producer = gateway.camel().createProducerTemplate();
    }

    @Test
    void aJsonRequestGoesToTheAliasNamedByTheVariableAndComesBackAsAChatCompletion() throws Exception {
        Exchange done = call(ex -> {
            ex.getMessage().setBody("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"by route\"}]}");
            ex.getMessage().setHeader("order-id", "42");
            ex.setVariable("caravan.model", "smart");
        });

        JsonNode body = Gateway.JSON.readTree(done.getMessage().getBody(String.class));
        assertThat(body.at("/object").asText()).isEqualTo("chat.completion");
        assertThat(body.at("/model").asText()).isEqualTo("model-gemini");
        assertThat(body.at("/choices/0/message/content").asText()).endsWith("by route");
        assertThat(done.getVariable("caravan.status")).isEqualTo(200);
        assertThat(done.getVariable("caravan.provider")).isEqualTo("gemini");
        assertThat(done.getVariable("caravan.upstream-model")).isEqualTo("model-gemini");
        assertThat(done.getVariable("caravan.attempts")).isEqualTo("gemini:model-gemini=ok");
        assertThat(done.getVariable("caravan.attempt-count")).isEqualTo(1);
        assertThat(done.getVariable("caravan.cost", Double.class)).isPositive();
        assertThat(done.getVariable("caravan.estimated-cost", Double.class)).isPositive();
        assertThat(done.getVariable("caravan.request-id", String.class)).startsWith("req_");
        assertThat(done.getVariable("caravan.failure-class")).isNull();
        assertThat(done.getMessage().getHeaders()).as("the operator's headers, and nothing of the provider call")
                .containsOnlyKeys("order-id");
    }

    @Test
    void aPlainPromptTakesTheDefaultAliasAndTheRoutingOptionsFromVariables() throws Exception {
        Exchange done = call(ex -> {
            ex.getMessage().setBody("Summarise the tides.".getBytes());
            ex.setVariable("caravan.exclude-providers", List.of("openai"));
            ex.setVariable("caravan.deadline", "20s");
        });

        assertThat(done.getVariable("caravan.status")).isEqualTo(200);
        assertThat(done.getVariable("caravan.provider")).as("fast, without openai").isEqualTo("gemini");
        assertThat(Gateway.JSON.readTree(done.getMessage().getBody(String.class)).at("/choices/0/message/content")
                .asText()).endsWith("Summarise the tides.");
        assertThat(gateway.provider("openai").chatCalls()).isZero();
    }

    @Test
    void aFailingProviderFailsOverAcrossDialectsAndTheAttemptsSaySo() {
        gateway.provider("gemini").fail(Fault.status(503));

        Exchange done = call(ex -> {
            ex.getMessage().setBody("Hello");
            ex.setVariable("caravan.model", "smart");
        });

        assertThat(done.getVariable("caravan.status")).isEqualTo(200);
        assertThat(done.getVariable("caravan.provider")).isEqualTo("openai");
        assertThat(done.getVariable("caravan.attempts")).isEqualTo("gemini:model-gemini=unavailable(503), "
                + "gemini:model-gemini=unavailable(503), openai:model-openai=ok");
        assertThat(done.getVariable("caravan.attempt-count")).isEqualTo(3);
    }

    @Test
    void aBadOptionIsRefusedByTheVariablesNameWithoutCallingAnyoneOrThrowing() throws Exception {
        Exchange exchange = gateway.camel().getEndpoint("direct:caravan").createExchange();
        exchange.getMessage().setBody("Hello");
        Exchange served = producer.send("direct:caravan", exchange);
        assertThat(served.getVariable("caravan.provider")).isEqualTo("openai");

        served.getMessage().setBody("Hello again");
        served.setVariable("caravan.policy", "fastest");
        gateway.provider("openai").resetCounts();
        Exchange done = producer.send("direct:caravan", served);

        assertThat(done.getException()).isNull();
        assertThat(done.getVariable("caravan.status")).isEqualTo(400);
        assertThat(done.getVariable("caravan.failure-class")).isEqualTo("caller_fault");
        assertThat(done.getVariable("caravan.reason", String.class)).contains("caravan.policy", "fastest");
        assertThat(done.getVariable("caravan.provider")).as("nothing left of the first call").isNull();
        JsonNode error = Gateway.JSON.readTree(done.getMessage().getBody(String.class)).get("error");
        assertThat(error.get("param").asText()).isEqualTo("caravan.policy");
        assertThat(gateway.provider("openai").chatCalls()).isZero();
    }

    @Test
    void anUnknownAliasOrABodyThatIsNoRequestIsTheRequestsFault() throws Exception {
        Exchange unknown = call(ex -> {
            ex.getMessage().setBody("Hello");
            ex.setVariable("caravan.model", "huge");
        });
        assertThat(unknown.getVariable("caravan.status")).isEqualTo(404);
        assertThat(unknown.getVariable("caravan.reason", String.class)).contains("'huge'", "fast", "smart");
        assertThat(Gateway.JSON.readTree(unknown.getMessage().getBody(String.class)).at("/error/param").asText())
                .isEqualTo("caravan.model");

        Exchange broken = call(ex -> ex.getMessage().setBody("{\"model\":\"fast\",\"messages\":"));
        assertThat(broken.getVariable("caravan.status")).isEqualTo(400);
        assertThat(broken.getVariable("caravan.reason", String.class)).contains("not valid JSON");

        Exchange empty = call(ex -> ex.getMessage().setBody("  "));
        assertThat(empty.getVariable("caravan.status")).isEqualTo(400);
        assertThat(empty.getVariable("caravan.failure-class")).isEqualTo("caller_fault");
    }

    @Test
    void whenNoProviderCanAnswerTheRouteGetsTheStatusAndClassNotAnException() throws Exception {
        gateway.provider("openai").fail(Fault.status(503));
        gateway.provider("gemini").fail(Fault.status(503));

        Exchange done = call(ex -> ex.getMessage().setBody("Hello"));

        assertThat(done.getException()).isNull();
        assertThat(done.getVariable("caravan.status")).isEqualTo(502);
        assertThat(done.getVariable("caravan.failure-class")).isEqualTo("unavailable");
        assertThat(done.getVariable("caravan.reason", String.class)).contains("fast");
        assertThat(done.getVariable("caravan.attempt-count")).isEqualTo(4);
        JsonNode error = Gateway.JSON.readTree(done.getMessage().getBody(String.class)).get("error");
        assertThat(error.get("attempts")).hasSize(4);
    }

    private static Exchange call(Consumer<Exchange> request) {
        return producer.send("direct:caravan", request::accept);
    }
}
