package dev.caravan.ingress.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.RequestOptions;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.ProviderAttempt;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.provider.stream.StreamWriter;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RequestContext;
import dev.caravan.testing.RecordingSink;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A protocol plugged into the seam, on real Camel exchanges: its reader fills the body, its writer frames every
 * streamed attempt, its shapes write the answer and the errors.
 */
class ProtocolSeamTest {

    private static final CamelContext CAMEL = new DefaultCamelContext();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AttemptPlan PLAN = new AttemptPlan(new Target("openai", "gpt-4o"), 0, Duration.ofSeconds(5),
            7L, "req_1", List.of());

    /** A protocol whose body is the prompt itself, streamed when it ends with '!'. */
    private static final ClientProtocol SHOUT = new ClientProtocol("shout",
            inbound -> {
                String prompt = new String(inbound.body(), StandardCharsets.UTF_8);
                if (prompt.isBlank()) {
                    throw new InvalidRequest(400, "prompt", "empty", "Say something.");
                }
                return new ProtocolReader.Reading(new ChatRequest("chat", List.of(ChatMessage.of("user", prompt)),
                        prompt.endsWith("!") ? true : null, null, null, null, null, null, null, null, null, null),
                        RequestOptions.NONE);
            },
            new ProtocolShapes() {
                @Override
                public Object answer(Outcome.Served served) {
                    return Map.of("said", served.response().choices().getFirst().message().content().text());
                }

                @Override
                public int status(Outcome.Failed failed) {
                    return 529;
                }

                @Override
                public Object failure(Outcome.Failed failed) {
                    return Map.of("oops", failed.message());
                }

                @Override
                public Object error(int status, String code, String message, String param) {
                    return Map.of("oops", message, "status", status);
                }
            },
            (sink, request) -> new Framed(sink));

    @AfterAll
    static void close() throws Exception {
        CAMEL.close();
    }

    @Test
    void theReaderFillsTheBodyAndTheContextKnowsTheProtocolsWriter() {
        Exchange exchange = new DefaultExchange(CAMEL);
        exchange.getMessage().setBody("Hello!".getBytes(StandardCharsets.UTF_8));

        new ProtocolRequests(SHOUT, Duration.ofSeconds(60)).read(exchange);

        ChatRequest request = exchange.getMessage().getBody(ChatRequest.class);
        assertThat(request.messages().getFirst().content().text()).isEqualTo("Hello!");
        RequestContext context = RequestContext.on(exchange);
        assertThat(context.writers()).isSameAs(SHOUT.writers());
    }

    @Test
    void everyStreamedAttemptIsFramedByTheProtocolsWriter() {
        Exchange exchange = new DefaultExchange(CAMEL);
        ChatRequest streamed = new ChatRequest("chat", List.of(ChatMessage.of("user", "Hi!")), true, null, null, null,
                null, null, null, null, null, null);
        RequestContext context = RequestContext.enter("http", RequestOptions.NONE).withWriters(SHOUT.writers())
                .withSink(new RecordingSink()).withRequest(streamed);

        ProviderAttempt attempt = context.dispatch(exchange, PLAN);

        assertThat(attempt.writer()).isInstanceOf(Framed.class);
        assertThat(RequestContext.enter("http", RequestOptions.NONE).withSink(new RecordingSink()).withRequest(streamed)
                .dispatch(exchange, PLAN).writer()).as("no protocol writer: the relay's default").isNull();
    }

    @Test
    void aFailedOutcomeAndARefusalAreWrittenInTheProtocolsShapes() throws Exception {
        ProtocolReplies replies = new ProtocolReplies(JSON, SHOUT.shapes(), new SecretRedactor(List.of()));
        Exchange failed = new DefaultExchange(CAMEL);
        failed.getMessage().setBody(new Outcome.Failed("req_9", Outcome.Kind.PROVIDERS_FAILED, 0, null, null,
                "Every provider failed.", null, List.of(), 3));

        replies.render(failed);

        assertThat(failed.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(529);
        assertThat(failed.getMessage().getHeader(ProtocolReplies.REQUEST_ID)).isEqualTo("req_9");
        assertThat(body(failed).path("oops").asText()).isEqualTo("Every provider failed.");

        Exchange refused = new DefaultExchange(CAMEL);
        refused.setProperty(Exchange.EXCEPTION_CAUGHT, new InvalidRequest(400, "prompt", "empty", "Say something."));
        replies.rejected(refused);

        assertThat(refused.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(400);
        assertThat(body(refused).path("oops").asText()).isEqualTo("Say something.");
    }

    private static JsonNode body(Exchange exchange) throws Exception {
        return JSON.readTree(exchange.getMessage().getBody(Buffer.class).getBytes());
    }

    private static final class Framed implements StreamWriter {
        private final StreamSink sink;

        Framed(StreamSink sink) {
            this.sink = sink;
        }

        @Override
        public void begin(StreamSink.Commit commit) {
            sink.begin(commit);
        }

        @Override
        public void chunk(ChatChunk chunk) {
        }

        @Override
        public void complete(ChatChunk usage) {
            sink.end();
        }

        @Override
        public void broken(String reason) {
            sink.abort();
        }

        @Override
        public boolean clientGone() {
            return false;
        }
    }
}
