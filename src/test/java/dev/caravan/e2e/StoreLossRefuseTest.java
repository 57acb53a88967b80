package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import dev.caravan.state.RedisServer;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * caravan.state.on-store-loss = refuse: while Redis is lost, every request is answered 503 state_store_unavailable
 * without a provider call, a queued one waits rather than being dead-lettered, and all is served again once Redis is
 * back, without a restart.
 */
class StoreLossRefuseTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();

    private static final String BODY = "{\"model\":\"fast\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}]}";
    private static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = Gateway.start(List.of("alpha"), Gateway.props(
                "caravan.auth.keys", "ck-plain",
                "caravan.clients.team.key", "ck-team",
                "caravan.clients.team.budget", "10",
                "caravan.state.store", "redis",
                "caravan.state.redis-url", redis.url(),
                "caravan.state.on-store-loss", "refuse",
                "caravan.state.refresh-interval", "100ms",
                "caravan.state.timeout", "300ms",
                "caravan.jms.redelivery-delay", "200ms"));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static HttpResponse<String> chat(String key) {
        return gateway.post("/v1/chat/completions", BODY, Map.of("Authorization", "Bearer " + key));
    }

    @Test
    void aLostStoreRefusesEveryRequestWithoutCallingAProviderAndServingResumesWhenItIsBack() throws Exception {
        assertThat(chat("ck-team").statusCode()).isEqualTo(200);

        redis.kill();
        eventually("the gateway refuses").pollInterval(Duration.ofMillis(50))
                .until(() -> chat("ck-plain").statusCode() == 503);
        long calls = gateway.provider("alpha").chatCalls();
        for (String key : List.of("ck-team", "ck-plain")) {
            HttpResponse<String> refused = chat(key);
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(Gateway.json(refused).at("/error/code").asText()).isEqualTo("state_store_unavailable");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        }
        try (Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            var replies = session.createTemporaryQueue();
            MessageConsumer answers = session.createConsumer(replies);
            TextMessage queued = session.createTextMessage(BODY);
            queued.setStringProperty("caravanClient", "team");
            queued.setJMSReplyTo(replies);
            session.createProducer(session.createQueue("llm.requests")).send(queued);
            assertThat(answers.receive(1_500)).as("no answer while the store is lost").isNull();
            assertThat(gateway.provider("alpha").chatCalls()).as("no provider called").isEqualTo(calls);

            redis.start();
            Message reply = answers.receive(30_000);
            assertThat(reply).as("the queued request, answered once the store is back").isNotNull();
            assertThat(reply.getIntProperty("caravanStatus")).isEqualTo(200);
            assertThat(session.createConsumer(session.createQueue("llm.requests.DLQ")).receive(200)).isNull();
        }
        assertThat(chat("ck-team").statusCode()).isEqualTo(200);
    }
}
