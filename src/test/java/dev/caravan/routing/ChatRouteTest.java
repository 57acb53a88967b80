package dev.caravan.routing;

import static dev.caravan.testing.Eventually.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Simulator;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The chat pipeline at route level: the real YAML routes and application.properties, with the built-in
 * simulator standing in for the shipped providers (openai, anthropic, gemini), driven through direct:chat.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties", properties = {
        "caravan.simulator.enabled=true",
        "caravan.simulator.port=0",
        "caravan.http.port=0",
        "camel.management.port=0",
        "caravan.health.interval=1h",
        "caravan.routing.policy=priority",
        "caravan.retry.backoff=10ms",
        "caravan.jms.enabled=false",
        "caravan.file.enabled=false",
        "caravan.file.inbox=target/route-test/inbox",
        "caravan.file.outbox=target/route-test/outbox",
        "caravan.file.done=target/route-test/done",
        "caravan.file.error=target/route-test/error"})
// one gateway for the class, as camel-test-main boots one per test instance
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatRouteTest {

    @EndpointInject
    ProducerTemplate producer;

    @BeanInject
    CamelContext context;

    private Simulator simulator() {
        return context.getRegistry().lookupByNameAndType("simulator", Simulator.class);
    }

    @AfterEach
    void heal() {
        List.of("openai", "anthropic", "gemini").forEach(p -> simulator().provider(p).heal());
    }

    @Test
    void eachAttemptRunsThroughItsProvidersRouteUntilOneServes() {
        simulator().provider("openai").fail(Fault.status(503));
        List.of("openai", "anthropic", "gemini").forEach(p -> simulator().provider(p).resetCounts());
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("chat").whenDone(1).create();

        Outcome outcome = producer.requestBody("direct:chat", request("fast"), Outcome.class);

        assertThat(done.matches(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(simulator().provider("openai").chatCalls()).isEqualTo(2);
        assertThat(simulator().provider("anthropic").chatCalls()).isEqualTo(1);
        assertThat(simulator().provider("gemini").chatCalls()).as("the third candidate is never called").isZero();
        assertThat(outcome).isInstanceOfSatisfying(Outcome.Served.class, served -> {
            assertThat(served.target().provider()).isEqualTo("anthropic");
            assertThat(served.response().model()).isEqualTo("claude-haiku-4-5");
            assertThat(served.attempts()).extracting(Attempt::outcome)
                    .containsExactly("unavailable", "unavailable", "ok");
        });
        assertThat(context.getRoute("provider-gemini")).as("one route per provider, from the template")
                .isNotNull();
    }

    @Test
    void theSimulatorStandsInForEveryConfiguredProvider() {
        Outcome outcome = producer.requestBody("direct:chat", request("smart"), Outcome.class);

        assertThat(outcome).isInstanceOfSatisfying(Outcome.Served.class, served -> {
            assertThat(served.target().toString()).isEqualTo("openai:gpt-4o");
            assertThat(served.response().choices().getFirst().message().text())
                    .startsWith("Simulated reply from openai (gpt-4o)");
        });
    }

    private static ChatRequest request(String alias) {
        return new ChatRequest(alias, List.of(ChatMessage.of("user", "hello")), null, null, null, null, null, null,
                null, null, null, null);
    }
}
