package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
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
 * Two replicas, each a gateway in its own process, one real Redis, one simulated provider: a named client's budget
 * and rates hold across both (DESIGN §10), and the spend stays exact (every request charged once, none lost)
 * through Redis killed and restarted empty, Redis stalled and back with its data, and a replica restarted. Every
 * answer costs exactly its estimate, $0.01: ten completion tokens at $1,000 per million, prompts priced at nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedClientsTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double CENT = 0.01;
    private static Simulator simulator;
    private static Path logs;
    private static Replica a;
    private static Replica b;

    @BeforeAll
    static void replicas() throws Exception {
        simulator = new Simulator("127.0.0.1");
        simulator.add("alpha", "openai", "key-alpha");
        simulator.start(0);
        logs = Files.createTempDirectory("caravan-client-replicas-");
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
        simulator.provider("alpha").heal();
        simulator.provider("alpha").resetCounts();
    }

    @Test
    @Order(1)
    void twoHundredConcurrentRequestsOverTwoReplicasNeverSpendMoreThanTheBudgetAndOneEstimate() {
        simulator.provider("alpha").fail(Fault.latency(30).scope("chat"));
        List<HttpResponse<String>> answers = load("ck-team", 200, 200);

        List<HttpResponse<String>> served = answers.stream().filter(r -> r.statusCode() == 200).toList();
        List<HttpResponse<String>> refused = answers.stream().filter(r -> r.statusCode() == 429).toList();
        assertThat(served.size() + refused.size()).as("every request answered, served or refused").isEqualTo(200);
        assertThat(refused).allMatch(r -> code(r).equals("budget_exceeded"));
        double spent = cost(served);
        assertThat(spent).as("spend of a $0.50 budget").isLessThanOrEqualTo(0.50 + CENT + 1e-9);
        assertThat(served.size()).isGreaterThanOrEqualTo(40);
        assertThat(simulator.provider("alpha").chatCalls()).isEqualTo(served.size());
        for (Replica r : List.of(a, b)) {
            await("replica " + r.name + " sees the whole spend").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                        JsonNode team = r.client("team");
                        assertThat(team.get("spent_usd").asDouble()).isCloseTo(spent, within(1e-9));
                        assertThat(team.get("held_usd").asDouble()).isZero();
                    });
        }
    }

    @Test
    @Order(2)
    void requestsPerMinuteHoldAcrossBothReplicas() {
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            answers.add((i % 2 == 0 ? a : b).chat("ck-paced"));
        }

        assertThat(answers.stream().filter(r -> r.statusCode() == 200).count()).isEqualTo(10);
        assertThat(answers.stream().filter(r -> r.statusCode() == 429)).hasSize(20)
                .allMatch(r -> code(r).equals("rate_limit_exceeded") && r.headers().firstValue("Retry-After")
                        .isPresent());
    }

    @Test
    @Order(3)
    void tokensPerMinuteHoldAcrossBothReplicas() throws IOException {
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answers.add((i % 2 == 0 ? a : b).chat("ck-tokens"));
        }

        long used = 0;
        long largest = 0;
        for (HttpResponse<String> r : answers.stream().filter(r -> r.statusCode() == 200).toList()) {
            long tokens = JSON.readTree(r.body()).at("/usage/total_tokens").asLong();
            used += tokens;
            largest = Math.max(largest, tokens);
        }
        assertThat(used).as("tokens served within a minute, limit 100").isPositive()
                .isLessThanOrEqualTo(100 + largest);
        assertThat(answers.stream().filter(r -> r.statusCode() == 429)).isNotEmpty()
                .allMatch(r -> code(r).equals("rate_limit_exceeded"));
    }

    @Test
    @Order(4)
    void redisKilledMidLoadAndRestartedEmptyLosesNoRequestAndChargesNoneTwice() throws Exception {
        List<HttpResponse<String>> all = new ArrayList<>(load("ck-loaded", 20, 4));
        double before = cost(all);
        for (Replica r : List.of(a, b)) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                    Math.abs(r.client("loaded").get("spent_usd").asDouble() - before) < 1e-9);
        }

        simulator.provider("alpha").fail(Fault.latency(100).scope("chat"));
        List<CompletableFuture<HttpResponse<String>>> load = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 40; i++) {
                Replica to = i % 2 == 0 ? a : b;
                load.add(CompletableFuture.supplyAsync(() -> to.chat("ck-loaded"), clients));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> simulator.provider("alpha").chatCalls() >= 30);
            redis.kill();
            load.forEach(f -> all.add(f.join()));
        }
        await("both replicas count on their own").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> a.ledger().equals("local_share") && b.ledger().equals("local_share"));
        simulator.provider("alpha").heal();
        for (int i = 0; i < 20; i++) {
            all.add((i % 2 == 0 ? a : b).chat("ck-loaded"));
        }

        redis.start();
        await("both replicas share again").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> a.ledger().equals("shared") && b.ledger().equals("shared"));
        assertThat(all).as("every request answered").hasSize(80)
                .allMatch(r -> r.statusCode() == 200 || r.statusCode() == 429 && code(r).equals("budget_exceeded"));
        double spent = cost(all.stream().filter(r -> r.statusCode() == 200).toList());
        assertThat(spent).isGreaterThan(before);
        // Redis came back empty: every replica seeds it again with every replica's spend it knew, and what was
        // spent since, on a replica's own or settled late, is in that replica's entry: the exact sum, once
        assertExactSpend("loaded", all);
    }

    @Test
    @Order(5)
    void redisStalledMidLoadAndBackWithItsDataChargesEveryRequestOnce() {
        List<HttpResponse<String>> all = new ArrayList<>(load("ck-stalled", 10, 4));
        redis.pause();
        try {
            // each replica waits out one exchange (caravan.state.timeout), then counts on its own
            all.addAll(load("ck-stalled", 10, 4));
            await("both replicas count on their own").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> a.ledger().equals("local_share") && b.ledger().equals("local_share"));
        } finally {
            redis.resume();
        }
        await("both replicas share again").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> a.ledger().equals("shared") && b.ledger().equals("shared"));
        all.addAll(load("ck-stalled", 10, 4));

        assertThat(all).as("every request served").hasSize(30).allMatch(r -> r.statusCode() == 200);
        assertExactSpend("stalled", all);
    }

    @Test
    @Order(6)
    void aRestartedReplicaAddsToWhatItSpentBeforeEvenAfterRedisRestartsEmpty() throws Exception {
        List<HttpResponse<String>> all = new ArrayList<>(load("ck-restarts", 10, 2));
        assertExactSpend("restarts", all);
        b.process.destroy(); // a graceful stop: its last settlements go out
        b.process.waitFor();
        b = Replica.start("b", "b-restarted");
        all.addAll(load("ck-restarts", 10, 2));
        assertExactSpend("restarts", all);

        redis.kill();
        redis.start(); // empty: what b spent before its restart is known to a alone
        await("both replicas share again").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> a.ledger().equals("shared") && b.ledger().equals("shared"));
        all.addAll(load("ck-restarts", 10, 2));
        assertThat(all).as("every request served").hasSize(30).allMatch(r -> r.statusCode() == 200);
        assertExactSpend("restarts", all);
    }

    /** Both replicas end up showing exactly the cost of the requests served, and nothing held. */
    private static void assertExactSpend(String client, List<HttpResponse<String>> answers) {
        List<HttpResponse<String>> served = answers.stream().filter(r -> r.statusCode() == 200).toList();
        double spent = cost(served);
        assertThat(spent).as("each answer costs a cent").isCloseTo(served.size() * CENT, within(1e-9));
        for (Replica r : List.of(a, b)) {
            await("replica " + r.name + " sees every request of " + client + " charged once")
                    .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                        JsonNode row = r.client(client);
                        assertThat(row.get("spent_usd").asDouble()).isCloseTo(spent, within(1e-9));
                        assertThat(row.get("held_usd").asDouble()).isZero();
                    });
        }
    }

    /** {@code count} requests of the client with {@code key}, spread over both replicas, {@code parallel} at once. */
    private static List<HttpResponse<String>> load(String key, int count, int parallel) {
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(parallel)) {
            for (int i = 0; i < count; i++) {
                Replica to = i % 2 == 0 ? a : b;
                futures.add(CompletableFuture.supplyAsync(() -> to.chat(key), clients));
            }
            return futures.stream().map(CompletableFuture::join).toList();
        }
    }

    private static double cost(List<HttpResponse<String>> answers) {
        return answers.stream().filter(r -> r.statusCode() == 200)
                .mapToDouble(r -> Double.parseDouble(r.headers().firstValue("x-caravan-cost").orElseThrow())).sum();
    }

    private static String code(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body()).at("/error/code").asText();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One gateway process sharing its clients' ledger through the test's Redis. */
    record Replica(String name, int port, Process process) {

        private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1).build();

        static Replica start(String name) {
            return start(name, name);
        }

        static Replica start(String name, String log) {
            try {
                int port = GatewayProcess.freePort();
                List<String> props = new ArrayList<>(GatewayProcess.withOneProvider(simulator, port,
                        "-Dcaravan.provider.alpha.api-keys=key-alpha",
                        "-Dcaravan.jms.enabled=false",
                        "-Dcaravan.file.enabled=false",
                        "-Dcaravan.price.alpha.model-alpha.input=0",
                        "-Dcaravan.price.alpha.model-alpha.output=1000",
                        // the operator's simple key: it sees every client on /v1/clients, a named client its own
                        "-Dcaravan.auth.keys=ck-operator",
                        "-Dcaravan.clients.team.key=ck-team",
                        "-Dcaravan.clients.team.budget=0.50",
                        "-Dcaravan.clients.team.budget-period=1d",
                        "-Dcaravan.clients.paced.key=ck-paced",
                        "-Dcaravan.clients.paced.rpm=10",
                        "-Dcaravan.clients.tokens.key=ck-tokens",
                        "-Dcaravan.clients.tokens.tpm=100",
                        "-Dcaravan.clients.loaded.key=ck-loaded",
                        "-Dcaravan.clients.loaded.budget=5",
                        "-Dcaravan.clients.stalled.key=ck-stalled",
                        "-Dcaravan.clients.stalled.budget=5",
                        "-Dcaravan.clients.restarts.key=ck-restarts",
                        "-Dcaravan.clients.restarts.budget=5",
                        "-Dcaravan.http.max-connections=1000",
                        // 200 calls opening connections at once on a loaded machine are slow, not saturated
                        "-Dcaravan.routing.pool-wait=30s",
                        "-Dcaravan.state.store=redis",
                        "-Dcaravan.state.redis-url=" + redis.url(),
                        "-Dcaravan.state.refresh-interval=100ms",
                        // a loaded machine's pause is not a lost store; the test kills Redis when it means one
                        "-Dcaravan.state.timeout=2s",
                        "-Dcaravan.state.replica-id=replica-" + name));
                return new Replica(name, port, GatewayProcess.launch(props, logs.resolve(log + ".log"), port));
            } catch (Exception e) {
                throw new IllegalStateException("replica " + name + " did not start", e);
            }
        }

        HttpResponse<String> chat(String key) {
            return send(HttpRequest.newBuilder(uri("/v1/chat/completions")).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fast\",\"max_tokens\":10,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}")).build());
        }

        JsonNode clients() {
            try {
                return JSON.readTree(send(HttpRequest.newBuilder(uri("/v1/clients"))
                        .header("Authorization", "Bearer ck-operator").build()).body());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        JsonNode client(String name) {
            for (JsonNode c : clients().get("data")) {
                if (c.get("client").asText().equals(name)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("no client " + name);
        }

        String ledger() {
            return clients().at("/ledger/counted").asText();
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
