package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Simulator;
import dev.caravan.state.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two replicas, each a gateway in its own process, one real Redis and one set of simulated providers: what one
 * replica learns about a provider, the other acts on (DESIGN §10). Each test breaks a provider of its own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedStateTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROVIDERS = List.of("alpha", "beta", "gamma", "delta");
    private static Simulator simulator;
    private static Replica.Pair replicas;
    private static Replica a;
    private static Replica b;

    @BeforeAll
    static void replicas() throws Exception {
        simulator = new Simulator("127.0.0.1");
        PROVIDERS.forEach(p -> simulator.add(p, "openai", "key-" + p));
        simulator.start(0);
        replicas = Replica.startTwo("caravan-replicas-", SharedStateTest::properties);
        a = replicas.a();
        b = replicas.b();
    }

    @AfterAll
    static void stop() {
        if (replicas != null) {
            replicas.close();
        }
        if (simulator != null) {
            simulator.close();
        }
    }

    @BeforeEach
    void heal() {
        PROVIDERS.forEach(p -> {
            simulator.provider(p).heal();
            simulator.provider(p).resetCounts();
        });
    }

    @Test
    @Order(1)
    void aRateLimitSeenByOneReplicaRestsTheKeyOnTheOther() {
        simulator.provider("gamma").fail(Fault.status(429).withRetryAfter(60).times(1).scope("chat"));

        HttpResponse<String> onA = chat(a, "cool");
        assertThat(onA.headers().firstValue("x-caravan-attempts")).hasValue(
                "gamma:model-gamma=rate_limited(429), beta:model-beta=ok");
        eventually("replica b learns gamma's cooldown").pollInterval(Duration.ofMillis(50))
                .until(() -> status(b, "gamma").at("/cooldown_ms/0").asLong() > 0);

        for (int i = 0; i < 3; i++) {
            assertThat(chat(b, "cool").headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        }
        assertThat(simulator.provider("gamma").chatCalls()).as("only replica a's call reached gamma").isEqualTo(1);
    }

    @Test
    @Order(2)
    void aBreakerOpenedByOneReplicaIsHonouredByTheOtherOneReplicaProbesAndBothSeeTheRecovery() {
        simulator.provider("alpha").fail(Fault.status(503).scope("chat"));

        // the call and its retry fail on replica a: alpha's breaker (a window of 2) opens there
        assertThat(chat(a, "fast").headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(status(a, "alpha").get("breaker").asText()).isEqualTo("open");
        eventually("replica b opens alpha's breaker too")
                .pollInterval(Duration.ofMillis(50)).until(() -> status(b, "alpha").get("breaker").asText()
                        .equals("open"));
        for (int i = 0; i < 3; i++) {
            assertThat(chat(b, "fast").headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        }

        // every call alpha gets from now on is a recovery probe, and only one replica sends them
        eventually("a few recovery probes").pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    long probes = probes(a) + probes(b);
                    return probes >= 3 && simulator.provider("alpha").chatCalls() == 2 + probes;
                });
        assertThat(List.of(probes(a), probes(b))).as("recovery probes sent by replicas a and b").contains(0L);

        simulator.provider("alpha").heal();
        eventually("both replicas see the recovery").pollInterval(Duration.ofMillis(50))
                .until(() -> !status(a, "alpha").get("breaker").asText().equals("open")
                        && !status(b, "alpha").get("breaker").asText().equals("open"));
        assertThat(chat(b, "fast").headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(chat(a, "fast").headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
    }

    @Test
    @Order(3)
    void aLostStoreLeavesEachReplicaOnItsOwnStateLosesNoRequestAndSharingResumesWhenItIsBack() throws Exception {
        simulator.provider("beta").fail(Fault.latency(100).scope("chat"));
        List<CompletableFuture<HttpResponse<String>>> load = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 40; i++) {
                Replica to = i % 2 == 0 ? a : b;
                load.add(CompletableFuture.supplyAsync(() -> chat(to, "smart"), clients));
            }
            eventually().until(() -> simulator.provider("beta").chatCalls() >= 10);
            redis.kill();
            assertThat(load.stream().map(f -> f.join().statusCode()).toList()).as("every request answered")
                    .hasSize(40).containsOnly(200);
        }
        eventually("both replicas know the store is lost")
                .pollInterval(Duration.ofMillis(50)).until(() -> !shared(a) && !shared(b));
        assertThat(providers(a).at("/state_store/lost_since").asText()).isNotEmpty();
        assertThat(a.metrics()).contains("caravan_state_store_up 0.0");

        // meanwhile a replica learns for itself only: a's cooldown of delta does not reach b
        simulator.provider("beta").heal();
        simulator.provider("delta").fail(Fault.status(429).withRetryAfter(60).times(1).scope("chat"));
        assertThat(chat(a, "lossy").headers().firstValue("x-caravan-attempts")).hasValue(
                "delta:model-delta=rate_limited(429), beta:model-beta=ok");
        assertThat(chat(b, "lossy").headers().firstValue("x-caravan-attempts")).hasValue("delta:model-delta=ok");

        // Redis back, and empty: what a learnt while it was gone reaches b
        redis.start();
        eventually("both replicas share again").pollInterval(Duration.ofMillis(50))
                .until(() -> shared(a) && shared(b));
        eventually("b learns delta's cooldown from a").pollInterval(Duration.ofMillis(50))
                .until(() -> status(b, "delta").at("/cooldown_ms/0").asLong() > 0);
        assertThat(chat(b, "lossy").headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        assertThat(a.metrics()).contains("caravan_state_store_up 1.0");
    }

    @Test
    @Order(4)
    void aConversationStoredThroughOneReplicaIsContinuedThroughTheOther() throws IOException {
        HttpResponse<String> first = a.post("/v1/responses",
                "{\"model\":\"smart\",\"input\":\"Remember the code word pelican\"}");
        assertThat(first.statusCode()).isEqualTo(200);
        String id = JSON.readTree(first.body()).get("id").asText();

        HttpResponse<String> next = b.post("/v1/responses", "{\"model\":\"smart\",\"previous_response_id\":\""
                + id + "\",\"input\":\"Which code word?\"}");

        assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        assertThat(simulator.provider("beta").lastBody().get("messages").findValuesAsText("content"))
                .startsWith("Remember the code word pelican").endsWith("Which code word?").hasSize(3);
        assertThat(JSON.readTree(b.get("/v1/responses/" + id).body()).get("id").asText()).isEqualTo(id);
    }

    private static boolean shared(Replica r) {
        return providers(r).at("/state_store/shared").asBoolean();
    }

    private static long probes(Replica r) {
        return status(r, "alpha").at("/recovery_probes/count").asLong();
    }

    /** A replica sharing state through the test's Redis. */
    private static List<String> properties(String name) {
        List<String> props = new ArrayList<>(List.of(
                "-Dcaravan.simulator.enabled=false",
                "-Dcaravan.jms.enabled=false",
                "-Dcaravan.file.enabled=false",
                "-Dcaravan.providers=" + String.join(",", PROVIDERS),
                "-Dcaravan.model.fast=alpha:model-alpha, beta:model-beta",
                "-Dcaravan.model.smart=beta:model-beta",
                "-Dcaravan.model.cool=gamma:model-gamma, beta:model-beta",
                "-Dcaravan.model.lossy=delta:model-delta, beta:model-beta",
                "-Dcaravan.routing.policy=priority",
                "-Dcaravan.retry.backoff=10ms",
                "-Dcaravan.health.interval=1h",
                "-Dcaravan.provider.alpha.breaker.sliding-window-size=2",
                "-Dcaravan.provider.alpha.breaker.minimum-calls=2",
                "-Dcaravan.provider.alpha.breaker.half-open-calls=1",
                "-Dcaravan.breaker.wait-in-open=1h",
                "-Dcaravan.breaker.recovery-probe-interval=300ms",
                "-Dcaravan.state.store=redis",
                "-Dcaravan.state.redis-url=" + redis.url(),
                "-Dcaravan.state.refresh-interval=100ms",
                "-Dcaravan.state.replica-id=replica-" + name));
        for (String p : PROVIDERS) {
            props.add("-Dcaravan.provider." + p + ".dialect=openai");
            props.add("-Dcaravan.provider." + p + ".base-url=" + simulator.baseUrl(p));
            props.add("-Dcaravan.provider." + p + ".api-keys=key-" + p);
        }
        return props;
    }

    private static HttpResponse<String> chat(Replica replica, String model) {
        return replica.post("/v1/chat/completions", "{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");
    }

    private static JsonNode providers(Replica replica) {
        return replica.json("/v1/providers");
    }

    private static JsonNode status(Replica replica, String provider) {
        for (JsonNode p : providers(replica).get("data")) {
            if (p.get("id").asText().equals(provider)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no status for " + provider);
    }
}
