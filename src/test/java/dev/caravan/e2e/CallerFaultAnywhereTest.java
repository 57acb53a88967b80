package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.chat.InvalidRequest;
import org.apache.camel.CamelContext;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.model.BeanDefinition;
import org.apache.camel.model.ProcessDefinition;
import org.apache.camel.spi.InterceptStrategy;
import org.junit.jupiter.api.Test;

/**
 * A caller's fault raised deep on a protocol's path, in a route the ingress calls (here: the planning step of the
 * embeddings route and of the chat route, made to refuse every request), is answered 400 naming the problem, in the
 * protocol's error shape: no route between the fault and the ingress takes it for a failure of its own (a 500).
 */
class CallerFaultAnywhereTest {

    private static final String PROBLEM = "'model' cannot be planned as sent";

    /** Refuses every request at the planning steps, as the router refuses one it cannot serve. */
    private static final InterceptStrategy REFUSING_PLAN = new InterceptStrategy() {
        @Override
        public Processor wrapProcessorInInterceptors(CamelContext context, NamedNode definition, Processor target,
                Processor nextTarget) {
            boolean embeddingPlan = definition instanceof BeanDefinition bean
                    && "embeddingRequests".equals(bean.getRef()) && "plan".equals(bean.getMethod());
            boolean chatPlan = definition instanceof ProcessDefinition process
                    && "router.plan".equals(process.getRef());
            if (!embeddingPlan && !chatPlan) {
                return target;
            }
            return exchange -> {
                throw InvalidRequest.badRequest("model", PROBLEM);
            };
        }
    };

    @Test
    void aCallersFaultInACalledRouteIsA400NamingItOnEveryProtocol() throws Exception {
        try (Gateway gateway = Gateway.startWith(List.of("openai"), Gateway.props(
                "caravan.embedding.model.small", "openai:text-embedding-3-small"),
                Map.of("refusingPlan", REFUSING_PLAN))) {
            HttpResponse<String> embeddings = gateway.post("/v1/embeddings",
                    "{\"model\":\"small\",\"input\":\"hello\"}", Map.of());
            assertRefused(embeddings, "/error/message");

            HttpResponse<String> chat = gateway.post("/v1/chat/completions",
                    "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
            assertRefused(chat, "/error/message");

            HttpResponse<String> messages = gateway.post("/v1/messages", "{\"model\":\"fast\",\"max_tokens\":16,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
            assertRefused(messages, "/error/message");
            assertThat(Gateway.JSON.readTree(messages.body()).at("/type").asText()).isEqualTo("error");

            HttpResponse<String> responses = gateway.post("/v1/responses",
                    "{\"model\":\"fast\",\"input\":\"hi\"}", Map.of());
            assertRefused(responses, "/error/message");

            HttpResponse<String> gemini = gateway.post("/v1beta/models/fast:generateContent",
                    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}", Map.of());
            assertRefused(gemini, "/error/message");

            assertThat(gateway.provider("openai").chatCalls()).as("no provider called").isZero();
        }
    }

    private static void assertRefused(HttpResponse<String> response, String messageAt) throws Exception {
        assertThat(response.statusCode()).as(response.uri() + ": " + response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        JsonNode body = Gateway.JSON.readTree(response.body());
        assertThat(body.at(messageAt).asText()).contains(PROBLEM);
    }
}
