package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.TestFolders;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.Processor;
import org.apache.camel.component.file.FileConstants;
import org.apache.camel.component.jms.JmsMessage;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A request answered before the chat pipeline took it up is told by one request log line, under the request id its
 * answer carries, with its status, its reason, its ingress and its named client (never the key): through real
 * sockets, the embedded broker and real folders. A request the pipeline takes is still told by its own line alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RefusedRequestLogTest {

    private static final String KEY = "ck-refusals-operator";
    private static final String TEAM_KEY = "ck-refusals-team";
    private static final String REQUEST = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final long MAX_BODY = 8192;
    /** A header that makes the operator's step before direct:chat fail, on that request only. */
    private static final String BREAK = "x-test-break";
    /** The message property that does the same for a queued request. */
    private static final String JMS_BREAK = "testBreak";

    private Gateway gateway;

    @BeforeAll
    void start() throws Exception {
        // the same operator's step on each ingress route, before direct:chat: it fails the requests asked to
        Processor breaks = exchange -> {
            org.apache.camel.Message in = exchange.getIn();
            boolean asked = in instanceof HttpMessage http ? http.getRequest().getHeader(BREAK) != null
                    : in instanceof JmsMessage jms ? jms.getJmsMessage().propertyExists(JMS_BREAK)
                    : in.getHeader(FileConstants.FILE_NAME_ONLY, "", String.class).startsWith("break");
            if (asked) {
                throw new IllegalStateException("an operator's step before direct:chat failed");
            }
        };
        OperatorStep step = OperatorStep.after(TestFolders.create("caravan-refusals-"), "ingress-http.camel.yaml",
                """
                              - process:
                                  ref: clientKeys.check
                """, "breaksOnRequest", breaks);
        for (String[] route : List.of(new String[] {"ingress-jms.camel.yaml", "jmsClient"},
                new String[] {"ingress-file.camel.yaml", "fileClient"})) {
            Path file = step.routes().resolve(route[0]);
            String anchor = "                  method: " + route[1] + "\n";
            String yaml = Files.readString(file);
            assertThat(yaml).contains(anchor);
            Files.writeString(file, yaml.replace(anchor, anchor
                    + "              - process:\n                  ref: breaksOnRequest\n"));
        }
        // an operator's own route: its request goes through direct:caravan, then its own step fails (the answer is
        // no number)
        Files.writeString(step.routes().resolve("own-ask.camel.yaml"), """
                - route:
                    id: own-ask
                    from:
                      uri: "platform-http:/own/ask"
                      steps:
                        - convertBodyTo:
                            type: java.lang.String
                        - to: direct:caravan
                        - convertBodyTo:
                            type: java.lang.Integer
                """);
        gateway = step.start(List.of("alpha"), "caravan.auth.keys", KEY, "caravan.clients.team.key", TEAM_KEY,
                "caravan.http.max-body-size", Long.toString(MAX_BODY), "caravan.file.max-bytes",
                Long.toString(MAX_BODY), "caravan.file.poll-interval", "200ms");
    }

    @AfterAll
    void stop() {
        if (gateway != null) {
            gateway.closeNow();
        }
    }

    @Test
    void anUnknownKeyIsOneLineWithoutTheKey() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-key")) {
            HttpResponse<String> answer = gateway.post("/v1/chat/completions", REQUEST,
                    Map.of("Authorization", "Bearer ck-not-one-of-ours"));

            assertThat(answer.statusCode()).isEqualTo(401);
            JsonNode line = toldOnce(log, answer);
            assertThat(line.get("ingress").asText()).isEqualTo("http");
            assertThat(line.get("path").asText()).isEqualTo("/v1/chat/completions");
            assertThat(line.get("outcome").asText()).isEqualTo("refused");
            assertThat(line.get("status").asInt()).isEqualTo(401);
            assertThat(line.get("code").asText()).isEqualTo("invalid_api_key");
            assertThat(line.get("reason").asText()).contains("is not one of this gateway's keys");
            assertThat(line.has("client")).as("no client is named by a key of no one").isFalse();
            assertThat(log.lines().getFirst()).doesNotContain("ck-not-one-of-ours");
        }
    }

    @Test
    void aNamedClientsUnreadableBodyIsOneLineNamingTheClientNotItsKey() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-body")) {
            HttpResponse<String> answer = gateway.post("/v1/chat/completions", "{\"model\":",
                    Map.of("Authorization", "Bearer " + TEAM_KEY));

            assertThat(answer.statusCode()).isEqualTo(400);
            JsonNode line = toldOnce(log, answer);
            assertThat(line.get("client").asText()).isEqualTo("team");
            assertThat(line.get("status").asInt()).isEqualTo(400);
            assertThat(line.get("reason").asText()).isNotBlank();
            assertThat(log.lines().getFirst()).doesNotContain(TEAM_KEY);
        }
    }

    @Test
    void anUnsupportedMediaTypeIsOneLine() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-media")) {
            HttpResponse<String> answer = gateway.post("/v1/chat/completions", REQUEST,
                    Map.of("Authorization", "Bearer " + KEY, "Content-Type", "text/plain"));

            assertThat(answer.statusCode()).isEqualTo(415);
            JsonNode line = toldOnce(log, answer);
            assertThat(line.get("code").asText()).isEqualTo("unsupported_media_type");
        }
    }

    @Test
    void aBodyOverTheServersLimitIsOneLine() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-large")) {
            String large = REQUEST.replace("hi", "x".repeat((int) MAX_BODY));
            HttpResponse<String> answer = gateway.post("/v1/chat/completions", large,
                    Map.of("Authorization", "Bearer " + KEY));

            assertThat(answer.statusCode()).isEqualTo(413);
            JsonNode line = toldOnce(log, answer);
            assertThat(line.get("code").asText()).isEqualTo("request_too_large");
            assertThat(line.get("path").asText()).isEqualTo("/v1/chat/completions");
        }
    }

    @Test
    void aFailureInTheIngressRouteBeforeThePipelineIsOneFailedLine() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-failure")) {
            HttpResponse<String> answer = gateway.post("/v1/chat/completions", REQUEST,
                    Map.of("Authorization", "Bearer " + TEAM_KEY, BREAK, "1"));

            assertThat(answer.statusCode()).isEqualTo(500);
            JsonNode line = toldOnce(log, answer);
            assertThat(line.get("outcome").asText()).isEqualTo("failed");
            assertThat(line.get("code").asText()).isEqualTo("internal_error");
            assertThat(line.get("client").asText()).isEqualTo("team");
        }
    }

    @Test
    void aFailureAfterARefusalWasToldIsAnsweredUnderThatRefusalsId() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-own")) {
            // direct:caravan refuses the request (no such alias) and tells its line; then the route's own step fails
            HttpResponse<String> answer = gateway.post("/own/ask", REQUEST.replace("fast", "no-such-alias"),
                    Map.of());

            assertThat(answer.statusCode()).isEqualTo(500);
            RequestLogOutput.flushAll();
            eventually().until(() -> !log.lines().isEmpty());
            JsonNode line = Gateway.JSON.readTree(log.lines().getFirst());
            assertThat(answer.headers().firstValue("x-caravan-request-id")).as("the id of the line told")
                    .hasValue(line.get("request_id").asText());
            assertThat(line.get("ingress").asText()).isEqualTo("route");
            assertThat(line.get("outcome").asText()).isEqualTo("refused");
            RequestLogOutput.flushAll();
            assertThat(log.lines()).as("one line, for the one request").hasSize(1);
        }
    }

    @Test
    void aServedRequestIsStillToldByItsOwnLineAlone() throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-served")) {
            HttpResponse<String> answer = gateway.post("/v1/chat/completions", REQUEST,
                    Map.of("Authorization", "Bearer " + KEY));

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            JsonNode line = toldOnce(log, answer);
            assertThat(line.get("outcome").asText()).isEqualTo("served");
            assertThat(line.has("alias")).isTrue();
        }
    }

    @Test
    void aPoisonMessageIsOneLineUnderItsRepliesRequestId() throws Exception {
        JsonNode line = jmsRefusal("{\"model\":", null);
        assertThat(line.get("status").asInt()).isEqualTo(400);
        assertThat(line.get("outcome").asText()).isEqualTo("refused");
        assertThat(line.has("client")).isFalse();
    }

    @Test
    void aMessageNamingNoClientIsOneLine() throws Exception {
        JsonNode line = jmsRefusal(REQUEST, "nobody");
        assertThat(line.get("code").asText()).isEqualTo("unknown_client");
    }

    @Test
    void aFailureInTheQueuesRouteBeforeThePipelineIsOneFailedLine() throws Exception {
        JsonNode line = jmsAnswer(REQUEST, null, true, 500);
        assertThat(line.get("outcome").asText()).isEqualTo("failed");
        assertThat(line.get("code").asText()).isEqualTo("internal_error");
    }

    @Test
    void aFailureOnTheQueuesRouteAfterARefusalIsToldAsTheQueues() throws Exception {
        // a poison message has no request context when the step after its refusal fails: its line still says jms
        JsonNode line = jmsAnswer("{\"model\":", null, true, 500);
        assertThat(line.get("outcome").asText()).isEqualTo("failed");
        assertThat(line.get("code").asText()).isEqualTo("internal_error");
    }

    private JsonNode jmsRefusal(String body, String client) throws Exception {
        return jmsAnswer(body, client, false, 400);
    }

    private JsonNode jmsAnswer(String body, String client, boolean broken, int status) throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-jms");
                Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue replies = session.createTemporaryQueue();
            TextMessage request = session.createTextMessage(body);
            request.setJMSReplyTo(replies);
            if (client != null) {
                request.setStringProperty("caravanClient", client);
            }
            if (broken) {
                request.setBooleanProperty(JMS_BREAK, true);
            }
            session.createProducer(session.createQueue("llm.requests")).send(request);

            Message reply = session.createConsumer(replies).receive(Gateway.ANSWER_WAIT.toMillis());
            assertThat(reply).isNotNull();
            assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(status);
            String requestId = reply.getStringProperty("caravanRequestId");
            JsonNode line = log.awaitLine(requestId);
            assertThat(line.get("ingress").asText()).isEqualTo("jms");
            assertThat(line.get("request_id").asText()).isEqualTo(requestId);
            RequestLogOutput.flushAll();
            assertThat(log.lines()).as("one line, for the one answer").hasSize(1);
            return line;
        }
    }

    @Test
    void anUnreadableDropIsOneLineUnderItsErrorFilesRequestId() throws Exception {
        JsonNode line = fileRefusal("unreadable.json", "{\"model\":");
        assertThat(line.get("status").asInt()).isEqualTo(400);
        assertThat(line.get("outcome").asText()).isEqualTo("refused");
        assertThat(line.get("file").asText()).isEqualTo("unreadable.json");
    }

    @Test
    void aDropOverTheLimitIsSetAsideWithOneLine() throws Exception {
        JsonNode line = fileRefusal("large.json", REQUEST.replace("hi", "x".repeat((int) MAX_BODY)));
        assertThat(line.get("status").asInt()).isEqualTo(413);
        assertThat(line.get("outcome").asText()).isEqualTo("refused");
        assertThat(line.get("code").asText()).isEqualTo("request_too_large");
        assertThat(line.get("reason").asText()).contains("caravan.file.max-bytes");
    }

    @Test
    void aDropsNameIsLoggedAsAReaderSeesItAndNoLonger() throws Exception {
        // a right-to-left override would show the line's name reversed; escapes make a name up to six times longer
        String name = "refused" + "\u202e".repeat(70) + ".json";
        JsonNode line = fileRefusal(name, "{\"model\":");
        String shown = line.get("file").asText();
        assertThat(shown).startsWith("refused\\u202e\\u202e").endsWith("...").doesNotContain("\u202e")
                .as("shorter than the name written out whole").hasSizeLessThan("refused".length() + 70 * 6 + 5);
        assertThat(shown.substring(0, shown.length() - 3)).matches("refused(\\\\u202e)+");
    }

    @Test
    void aDropSetAsideUnreadIsLoggedUnderItsShownName() throws Exception {
        JsonNode line = fileRefusal("large\u202egnp.json", REQUEST.replace("hi", "x".repeat((int) MAX_BODY)));
        assertThat(line.get("status").asInt()).isEqualTo(413);
        assertThat(line.get("file").asText()).isEqualTo("large\\u202egnp.json");
    }

    @Test
    void aFailureInTheFoldersRouteBeforeThePipelineIsOneFailedLine() throws Exception {
        JsonNode line = fileRefusal("break.json", REQUEST);
        assertThat(line.get("status").asInt()).isEqualTo(500);
        assertThat(line.get("code").asText()).isEqualTo("internal_error");
    }

    @Test
    void aFailureOnTheFoldersRouteAfterARefusalIsToldAsTheFolders() throws Exception {
        // an unreadable drop has no request context when the step after its refusal fails: its line still says file
        JsonNode line = fileRefusal("break-unreadable.json", "{\"model\":");
        assertThat(line.get("status").asInt()).isEqualTo(500);
        assertThat(line.get("code").asText()).isEqualTo("internal_error");
    }

    private JsonNode fileRefusal(String name, String body) throws Exception {
        try (RequestLogCapture log = RequestLogCapture.attach("refused-file")) {
            Path inbox = gateway.data("inbox");
            Path temp = inbox.resolve("." + name + ".part");
            Files.writeString(temp, body);
            Files.move(temp, inbox.resolve(name));

            Path reason = gateway.data("error").resolve(name + ".error.json");
            eventually().until(() -> Files.exists(reason) && Files.exists(gateway.data("error").resolve(name)));
            String requestId = Gateway.JSON.readTree(Files.readString(reason)).at("/caravan/request_id").asText();
            assertThat(requestId).startsWith("req_");
            JsonNode line = log.awaitLine(requestId);
            assertThat(line.get("ingress").asText()).isEqualTo("file");
            RequestLogOutput.flushAll();
            assertThat(log.lines()).as("one line, for the one answer").hasSize(1);
            return line;
        }
    }

    /** The one line the request's answer is told by, under the request id the answer carries. */
    private static JsonNode toldOnce(RequestLogCapture log, HttpResponse<String> answer) throws Exception {
        String requestId = answer.headers().firstValue("x-caravan-request-id").orElseThrow();
        JsonNode line = log.awaitLine(requestId);
        assertThat(line.get("request_id").asText()).isEqualTo(requestId);
        RequestLogOutput.flushAll();
        assertThat(log.lines()).as("one line, for the one answer").hasSize(1);
        return line;
    }
}
