package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Simulator;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;

/**
 * The shipped application.properties as a newcomer first runs it: no key, the simulator standing in, the default
 * policy. The README's first request and its "break it" step, through the real routes.
 */
@org.apache.camel.test.main.junit5.CamelMainTest(propertyPlaceholderLocations = "file:application.properties",
        properties = {
                "caravan.simulator.port=0",
                "caravan.http.port=0",
                "camel.management.port=0",
                "caravan.health.interval=1h",
                "caravan.jms.enabled=false",
                "caravan.file.enabled=false",
                "caravan.file.inbox=target/defaults-test/inbox",
                "caravan.file.outbox=target/defaults-test/outbox",
                "caravan.file.done=target/defaults-test/done",
                "caravan.file.error=target/defaults-test/error"})
class ShippedDefaultsTest {

    @EndpointInject
    ProducerTemplate producer;

    @BeanInject
    CamelContext context;

    @Test
    void theFirstRequestAndItsFailoverCrossWireFormatsAsTheReadmeShows() {
        Simulator simulator = context.getRegistry().lookupByNameAndType("simulator", Simulator.class);
        assertThat(List.of("openai", "anthropic", "gemini")).allSatisfy(p ->
                assertThat(simulator.provider(p)).as("simulated: " + p).isNotNull());
        assertThat(List.of(simulator.provider("openai").dialect(), simulator.provider("anthropic").dialect(),
                simulator.provider("gemini").dialect())).containsExactly("openai", "anthropic", "gemini");

        Outcome first = producer.requestBody("direct:chat", hello(), Outcome.class);
        assertThat(first).isInstanceOfSatisfying(Outcome.Served.class, served ->
                assertThat(served.attempts()).extracting(Attempt::summary).containsExactly("openai:gpt-4o-mini=ok"));

        simulator.provider("openai").fail(Fault.status(503));
        Outcome broken = producer.requestBody("direct:chat", hello(), Outcome.class);
        assertThat(broken).isInstanceOfSatisfying(Outcome.Served.class, served -> {
            assertThat(served.attempts()).extracting(Attempt::summary).containsExactly(
                    "openai:gpt-4o-mini=unavailable(503)", "openai:gpt-4o-mini=unavailable(503)",
                    "gemini:gemini-2.5-flash=ok");
            assertThat(served.response().choices().getFirst().message().text())
                    .startsWith("Simulated reply from gemini (gemini-2.5-flash)");
        });
        simulator.provider("openai").heal();
    }

    private static ChatRequest hello() {
        return new ChatRequest("fast", List.of(ChatMessage.of("user", "Hello")), null, null, null, null, null, null,
                null, null, null, null);
    }
}
