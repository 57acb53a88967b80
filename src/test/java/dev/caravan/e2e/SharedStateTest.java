package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
    private static Path logs;
    private static Replica a;
    private static Replica b;

    @BeforeAll
    static void replicas() throws Exception {
        simulator = new Simulator("127.0.0.1");
        PROVIDERS.forEach(p -> simulator.add(p, "openai", "key-" + p));
        simulator.start(0);
        logs = Files.createTempDirectory("caravan-replicas-");
        CompletableFuture<Replica> first = CompletableFuture.supplyAsync(() -> Replica.start("a"));
        CompletableFuture<Replica> second = CompletableFuture.supplyAsync(() -> Replica.start("b"));
        a = first.join();
        b = second.join();
    }

    @AfterAll
    static void stop() {
        for (Replica r : new Replica[] {a, b}) {
            if (r != null) {
                r.process.destroyForcibly();
            }
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

        HttpResponse<String> onA = a.chat("cool");
        assertThat(onA.headers().firstValue("x-caravan-attempts")).hasValue(
                "gamma:model-gamma=rate_limited(429), beta:model-beta=ok");
        await("replica b learns gamma's cooldown").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> b.status("gamma").at("/cooldown_ms/0").asLong() > 0);

        for (int i = 0; i < 3; i++) {
            assertThat(b.chat("cool").headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        }
        assertThat(simulator.provider("gamma").chatCalls()).as("only replica a's call reached gamma").isEqualTo(1);
    }

    @Test
    @Order(2)
    void aBreakerOpenedByOneReplicaIsHonouredByTheOtherOneReplicaProbesAndBothSeeTheRecovery() {
        simulator.provider("alpha").fail(Fault.status(503).scope("chat"));

        // the call and its retry fail on replica a: alpha's breaker (a window of 2) opens there
        assertThat(a.chat("fast").headers().firstValue("x-caravan-provider")).hasValue("beta");
        assertThat(a.status("alpha").get("breaker").asText()).isEqualTo("open");
        await("replica b opens alpha's breaker too").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50)).until(() -> b.status("alpha").get("breaker").asText()
                        .equals("open"));
        for (int i = 0; i < 3; i++) {
            assertThat(b.chat("fast").headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
        }

        // every call alpha gets from now on is a recovery probe, and only one replica sends them
        await("a few recovery probes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    long probes = probes(a) + probes(b);
                    return probes >= 3 && simulator.provider("alpha").chatCalls() == 2 + probes;
                });
        assertThat(List.of(probes(a), probes(b))).as("recovery probes sent by replicas a and b").contains(0L);

        simulator.provider("alpha").heal();
        await("both replicas see the recovery").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> !a.status("alpha").get("breaker").asText().equals("open")
                        && !b.status("alpha").get("breaker").asText().equals("open"));
        assertThat(b.chat("fast").headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
        assertThat(a.chat("fast").headers().firstValue("x-caravan-attempts")).hasValue("alpha:model-alpha=ok");
    }

    @Test
    @Order(3)
    void aLostStoreLeavesEachReplicaOnItsOwnStateLosesNoRequestAndSharingResumesWhenItIsBack() throws Exception {
        simulator.provider("beta").fail(Fault.latency(100).scope("chat"));
        List<CompletableFuture<HttpResponse<String>>> load = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 40; i++) {
                Replica to = i % 2 == 0 ? a : b;
                load.add(CompletableFuture.supplyAsync(() -> to.chat("smart"), clients));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> simulator.provider("beta").chatCalls() >= 10);
            redis.kill();
            assertThat(load.stream().map(f -> f.join().statusCode()).toList()).as("every request answered")
                    .hasSize(40).containsOnly(200);
        }
        await("both replicas know the store is lost").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50)).until(() -> !shared(a) && !shared(b));
        assertThat(a.providers().at("/state_store/lost_since").asText()).isNotEmpty();
        assertThat(a.metrics()).contains("caravan_state_store_up 0.0");

        // meanwhile a replica learns for itself only: a's cooldown of delta does not reach b
        simulator.provider("beta").heal();
        simulator.provider("delta").fail(Fault.status(429).withRetryAfter(60).times(1).scope("chat"));
        assertThat(a.chat("lossy").headers().firstValue("x-caravan-attempts")).hasValue(
                "delta:model-delta=rate_limited(429), beta:model-beta=ok");
        assertThat(b.chat("lossy").headers().firstValue("x-caravan-attempts")).hasValue("delta:model-delta=ok");

        // Redis back, and empty: what a learnt while it was gone reaches b
        redis.start();
        await("both replicas share again").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> shared(a) && shared(b));
        await("b learns delta's cooldown from a").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> b.status("delta").at("/cooldown_ms/0").asLong() > 0);
        assertThat(b.chat("lossy").headers().firstValue("x-caravan-attempts")).hasValue("beta:model-beta=ok");
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
        return r.providers().at("/state_store/shared").asBoolean();
    }

    private static long probes(Replica r) {
        return r.status("alpha").at("/recovery_probes/count").asLong();
    }

    /** One gateway process sharing state through the test's Redis. */
    record Replica(String name, int port, int managementPort, Process process) {

        private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .build();

        static Replica start(String name) {
            try {
                int port = GatewayProcess.freePort();
                int management = GatewayProcess.freePort();
                List<String> props = new ArrayList<>(List.of(
                        "-Dcaravan.http.port=" + port,
                        "-Dcamel.management.port=" + management,
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
                return new Replica(name, port, management, GatewayProcess.launch(props, logs.resolve(name + ".log"), port));
            } catch (Exception e) {
                throw new IllegalStateException("replica " + name + " did not start", e);
            }
        }

        HttpResponse<String> chat(String model) {
            return send(HttpRequest.newBuilder(uri("/v1/chat/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
                            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}")).build());
        }

        HttpResponse<String> post(String path, String body) {
            return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        }

        HttpResponse<String> get(String path) {
            return send(HttpRequest.newBuilder(uri(path)).build());
        }

        JsonNode providers() {
            try {
                return JSON.readTree(send(HttpRequest.newBuilder(uri("/v1/providers")).build()).body());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        JsonNode status(String provider) {
            for (JsonNode p : providers().get("data")) {
                if (p.get("id").asText().equals(provider)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("no status for " + provider);
        }

        String metrics() {
            return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                    + "/observe/metrics")).build()).body();
        }

        private URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        private HttpResponse<String> send(HttpRequest request) {
            try {
                return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
