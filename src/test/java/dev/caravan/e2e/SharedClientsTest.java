package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

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
    /** Syncs of each replica that take every settled spend to Redis, and then that read it all back. */
    private static final int SYNCS_OUT = 3;
    private static final int SYNCS_BACK = 2;
    private static Simulator simulator;
    private static Replica.Pair replicas;
    private static Replica a;
    private static Replica b;

    @BeforeAll
    static void replicas() throws Exception {
        simulator = new Simulator("127.0.0.1");
        simulator.add("alpha", "openai", "key-alpha");
        simulator.start(0);
        replicas = Replica.startTwo("caravan-client-replicas-", SharedClientsTest::properties);
        a = replicas.a();
        b = replicas.b();
    }

    @AfterAll
    static void stop() {
        if (replicas != null) {
            replicas.close();
        }
        if (b != null) {
            b.stop(); // the restarted one
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
        awaitSynced("the whole spend", r -> {
            JsonNode team = client(r, "team");
            assertThat(team.get("spent_usd").asDouble()).isCloseTo(spent, within(1e-9));
            assertThat(team.get("held_usd").asDouble()).isZero();
        });
    }

    @Test
    @Order(2)
    void requestsPerMinuteHoldAcrossBothReplicas() {
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            answers.add(chat(i % 2 == 0 ? a : b, "ck-paced"));
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
            answers.add(chat(i % 2 == 0 ? a : b, "ck-tokens"));
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
        awaitSynced("the spend before the kill", r ->
                assertThat(client(r, "loaded").get("spent_usd").asDouble()).isCloseTo(before, within(1e-9)));

        simulator.provider("alpha").fail(Fault.latency(100).scope("chat"));
        List<CompletableFuture<HttpResponse<String>>> load = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 40; i++) {
                Replica to = i % 2 == 0 ? a : b;
                load.add(CompletableFuture.supplyAsync(() -> chat(to, "ck-loaded"), clients));
            }
            eventually().until(() -> simulator.provider("alpha").chatCalls() >= 30);
            redis.kill();
            load.forEach(f -> all.add(f.join()));
        }
        eventually("both replicas count on their own").pollInterval(Duration.ofMillis(50))
                .until(() -> ledger(a).equals("local_share") && ledger(b).equals("local_share"));
        simulator.provider("alpha").heal();
        for (int i = 0; i < 20; i++) {
            all.add(chat(i % 2 == 0 ? a : b, "ck-loaded"));
        }

        redis.start();
        eventually("both replicas share again").pollInterval(Duration.ofMillis(50))
                .until(() -> ledger(a).equals("shared") && ledger(b).equals("shared"));
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
            eventually("both replicas count on their own")
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> ledger(a).equals("local_share") && ledger(b).equals("local_share"));
        } finally {
            redis.resume();
        }
        eventually("both replicas share again").pollInterval(Duration.ofMillis(50))
                .until(() -> ledger(a).equals("shared") && ledger(b).equals("shared"));
        all.addAll(load("ck-stalled", 10, 4));

        assertThat(all).as("every request served").hasSize(30).allMatch(r -> r.statusCode() == 200);
        assertExactSpend("stalled", all);
    }

    @Test
    @Order(6)
    void aRestartedReplicaAddsToWhatItSpentBeforeEvenAfterRedisRestartsEmpty() throws Exception {
        List<HttpResponse<String>> all = new ArrayList<>(load("ck-restarts", 10, 2));
        assertExactSpend("restarts", all);
        b.process().destroy(); // a graceful stop: its last settlements go out
        b.process().waitFor();
        b = Replica.start("b-restarted", replicas.logs(), properties("b"));
        all.addAll(load("ck-restarts", 10, 2));
        assertExactSpend("restarts", all);

        redis.kill();
        redis.start(); // empty: what b spent before its restart is known to a alone
        eventually("both replicas share again").pollInterval(Duration.ofMillis(50))
                .until(() -> ledger(a).equals("shared") && ledger(b).equals("shared"));
        all.addAll(load("ck-restarts", 10, 2));
        assertThat(all).as("every request served").hasSize(30).allMatch(r -> r.statusCode() == 200);
        assertExactSpend("restarts", all);
    }

    /** Both replicas end up showing exactly the cost of the requests served, and nothing held. */
    private static void assertExactSpend(String client, List<HttpResponse<String>> answers) {
        List<HttpResponse<String>> served = answers.stream().filter(r -> r.statusCode() == 200).toList();
        double spent = cost(served);
        assertThat(spent).as("each answer costs a cent").isCloseTo(served.size() * CENT, within(1e-9));
        awaitSynced("every request of " + client + " charged once", r -> {
            JsonNode row = client(r, client);
            assertThat(row.get("spent_usd").asDouble()).isCloseTo(spent, within(1e-9));
            assertThat(row.get("held_usd").asDouble()).isZero();
        });
    }

    /**
     * Waits until {@code seen} holds on both replicas, and fails if it still does not once the spend settled before
     * the wait has had the syncs it needs to reach both: each replica's settlements go out at its next sync (the
     * margin covers one that began before the last settlement), then each reads them all back at its next. The
     * bound is counted in completed syncs ({@code caravan.client.ledger.syncs}), so a slow machine only makes it
     * longer; the time limit is for replicas that stop syncing.
     */
    private static void awaitSynced(String what, Consumer<Replica> seen) {
        long[] from = {syncs(a), syncs(b)};
        int[] round = {0};
        AtomicReference<AssertionError> missing = new AtomicReference<>();
        await(what).atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            // counted before looking: when those syncs had completed, what they carried is in the answer
            long[] now = {syncs(a), syncs(b)};
            int needed = round[0] == 0 ? SYNCS_OUT : SYNCS_BACK;
            boolean due = false;
            if (now[0] - from[0] >= needed && now[1] - from[1] >= needed) {
                due = round[0] == 1;
                round[0] = 1;
                from[0] = now[0];
                from[1] = now[1];
            }
            try {
                for (Replica r : List.of(a, b)) {
                    seen.accept(r);
                }
                missing.set(null);
                return true;
            } catch (AssertionError e) {
                missing.set(e);
                return due;
            }
        });
        if (missing.get() != null) {
            throw new AssertionError(what + ": not seen after " + SYNCS_OUT + " syncs out and " + SYNCS_BACK
                    + " back on each replica", missing.get());
        }
    }

    /** The syncs of its clients' ledger {@code replica} has completed. */
    private static long syncs(Replica replica) {
        return replica.metrics().lines().filter(l -> l.startsWith("caravan_client_ledger_syncs_total "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("replica " + replica.name() + " counts no ledger syncs"));
    }

    /** {@code count} requests of the client with {@code key}, spread over both replicas, {@code parallel} at once. */
    private static List<HttpResponse<String>> load(String key, int count, int parallel) {
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(parallel)) {
            for (int i = 0; i < count; i++) {
                Replica to = i % 2 == 0 ? a : b;
                futures.add(CompletableFuture.supplyAsync(() -> chat(to, key), clients));
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

    /** The properties of a replica sharing its clients' ledger through the test's Redis. */
    private static List<String> properties(String name) {
        return GatewayProcess.oneProvider(simulator,
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
                "-Dcaravan.state.store=redis",
                "-Dcaravan.state.redis-url=" + redis.url(),
                "-Dcaravan.state.refresh-interval=100ms",
                // a loaded machine's pause is not a lost store (the test kills Redis when it means one): far beyond any
                // exchange's time, it bounds only the stall that redisStalledMidLoad... makes on purpose
                "-Dcaravan.state.timeout=10s",
                "-Dcaravan.state.replica-id=replica-" + name);
    }

    private static HttpResponse<String> chat(Replica replica, String key) {
        return replica.post("/v1/chat/completions", "{\"model\":\"fast\",\"max_tokens\":10,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", "Authorization", "Bearer " + key);
    }

    private static JsonNode client(Replica replica, String name) {
        for (JsonNode c : clients(replica).get("data")) {
            if (c.get("client").asText().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no client " + name);
    }

    private static String ledger(Replica replica) {
        return clients(replica).at("/ledger/counted").asText();
    }

    private static JsonNode clients(Replica replica) {
        return replica.json("/v1/clients", "Authorization", "Bearer ck-operator");
    }
}
