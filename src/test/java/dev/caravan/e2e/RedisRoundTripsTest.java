package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.caravan.clients.Money;
import dev.caravan.state.RedisServer;
import dev.caravan.state.RedisStateStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/**
 * What the shared store costs an admitted request, counted by Redis itself ({@code MONITOR}): a named
 * client's request with a budget and both rates is one command, one round trip; its settlement goes later, in the
 * background, and is not lost. The admission holds no thread while Redis answers: the request goes on on an event
 * loop. The background exchange runs once an hour here, so that every command counted
 * belongs to the requests.
 */
class RedisRoundTripsTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.create();

    private static final String BODY = "{\"model\":\"fast\",\"max_tokens\":10,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    private static Gateway gateway;
    private static RedisClient admin;
    private static int marks;

    @BeforeAll
    static void start() {
        admin = RedisStateStore.connect(URI.create(redis.url()), Duration.ofSeconds(5), 1);
        gateway = Gateway.start(List.of("alpha"), Gateway.props(
                "caravan.jms.enabled", "false",
                "caravan.file.enabled", "false",
                "caravan.price.alpha.model-alpha.input", "0",
                "caravan.price.alpha.model-alpha.output", "1000",
                "caravan.auth.keys", "ck-plain",
                "caravan.clients.team.key", "ck-team",
                "caravan.clients.team.budget", "5",
                "caravan.clients.team.budget-period", "1d",
                "caravan.clients.team.rpm", "1000",
                "caravan.clients.team.tpm", "1000000",
                "caravan.state.store", "redis",
                "caravan.state.redis-url", redis.url(),
                "caravan.state.key-prefix", "rt:",
                "caravan.state.refresh-interval", "1h",
                "caravan.state.timeout", RedisServer.COMMAND_TIMEOUT.toSeconds() + "s"));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    @Test
    void anAdmittedRequestIsOneCommandToRedisAndItsSettlementFollowsInTheBackground() throws IOException {
        for (int i = 0; i < 3; i++) { // connections opened and scripts loaded: once, not per request
            assertThat(chat("ck-team")).isEqualTo(200);
        }
        List<String> team;
        try (RequestLogCapture log = RequestLogCapture.attach("redis-round-trips")) {
            team = commandsSentDuring(() -> {
                for (int i = 0; i < 20; i++) {
                    assertThat(chat("ck-team")).isEqualTo(200);
                }
            });
            eventually().until(() -> log.threads().size() == 20);
            assertThat(log.threads()).as("the thread each admitted request ended on: Redis answered the admission "
                    + "without a thread waiting for it, and the request went on on an event loop")
                    .allSatisfy(thread -> assertThat(thread).startsWith("vert.x-eventloop-thread-"));
        }
        assertThat(team).as("commands sent for 20 admitted requests of a client with a budget, rpm and tpm: one "
                + "script each, by its digest").hasSize(20).containsOnly("evalsha");

        List<String> plain = commandsSentDuring(() -> {
            for (int i = 0; i < 20; i++) {
                assertThat(chat("ck-plain")).isEqualTo(200);
            }
        });
        assertThat(plain).as("commands sent for 20 requests without limits").isEmpty();

        gateway.close(); // a graceful stop sends what was settled since the last exchange
        gateway = null;
        Set<String> windows = admin.keys("rt:client:team:budget:*");
        String budget = windows.stream().filter(k -> k.matches("rt:client:team:budget:\\d+")).findFirst()
                .orElseThrow();
        assertThat(Long.parseLong(admin.hget(budget, "spent"))).as("23 answers of a cent, each charged once")
                .isEqualTo(23 * Money.nanos(0.01));
        assertThat(Long.parseLong(admin.hget(budget, "reserved"))).isZero();
    }

    private static int chat(String key) {
        return gateway.post("/v1/chat/completions", BODY, Map.of("Authorization", "Bearer " + key)).statusCode();
    }

    /**
     * The commands clients sent Redis while {@code work} ran, as {@code MONITOR} shows them, leaving out what
     * scripts call inside ({@code [0 lua]}): one command is one round trip.
     */
    private static List<String> commandsSentDuring(Runnable work) throws IOException {
        String mark = "mark-" + marks++;
        try (Socket socket = new Socket("127.0.0.1", redis.port())) {
            socket.setSoTimeout((int) dev.caravan.testing.Eventually.PATIENCE.toMillis());
            socket.getOutputStream().write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("+OK");
            admin.echo(mark + "-start");
            work.run();
            admin.echo(mark + "-end");
            List<String> commands = new ArrayList<>();
            boolean counting = false;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.contains("\"" + mark + "-start\"")) {
                    counting = true;
                } else if (line.contains("\"" + mark + "-end\"")) {
                    return commands;
                } else if (counting && !line.contains(" lua] ")) {
                    // +1765015200.123456 [0 127.0.0.1:40000] "evalsha" "..." ...
                    int name = line.indexOf("] \"") + 3;
                    commands.add(line.substring(name, line.indexOf('"', name)).toLowerCase(java.util.Locale.ROOT));
                }
            }
            throw new IllegalStateException("MONITOR ended before the end mark");
        }
    }
}
