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

    /** Plans each embeddings request, then refuses it, as a step after the plan (an operator's) may. */
    private static final InterceptStrategy REFUSING_AFTER_PLAN = new InterceptStrategy() {
        @Override
        public Processor wrapProcessorInInterceptors(CamelContext context, NamedNode definition, Processor target,
                Processor nextTarget) {
            if (!(definition instanceof BeanDefinition bean && "embeddingRequests".equals(bean.getRef())
                    && "plan".equals(bean.getMethod()))) {
                return target;
            }
            return exchange -> {
                target.process(exchange);
                throw InvalidRequest.badRequest("model", PROBLEM);
            };
        }
    };

    /**
     * A caller's fault raised once the router has planned the request is told in the request log as the refusal its
     * client got (its status, code and reason, under the request id of the answer), once: not as an internal error.
     */
    @Test
    void aCallersFaultAfterThePlanIsLoggedAsTheClientGotIt() throws Exception {
        try (Gateway gateway = Gateway.startWith(List.of("openai"), Gateway.props(
                "caravan.embedding.model.small", "openai:text-embedding-3-small"),
                Map.of("refusingAfterPlan", REFUSING_AFTER_PLAN));
                RequestLogCapture log = RequestLogCapture.attach("refused-after-plan")) {
            HttpResponse<String> embeddings = gateway.post("/v1/embeddings",
                    "{\"model\":\"small\",\"input\":\"hello\"}", Map.of());
            assertRefused(embeddings, "/error/message");

            String requestId = embeddings.headers().firstValue("x-caravan-request-id").orElseThrow();
            JsonNode line = log.awaitLine(requestId);
            assertThat(line.get("request_id").asText()).isEqualTo(requestId);
            // a planned request's line: failed (no answer), with the status and code its client got
            assertThat(line.get("outcome").asText()).isEqualTo("failed");
            assertThat(line.get("status").asInt()).isEqualTo(400);
            assertThat(line.get("code").asText()).isNotEqualTo("internal_error");
            assertThat(line.get("alias").asText()).isEqualTo("small");
            RequestLogOutput.flushAll();
            assertThat(log.lines()).as("one line, for the one answer").hasSize(1);
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
