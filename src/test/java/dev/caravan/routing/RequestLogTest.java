package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.RequestOptions;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The request log's line as its writer gets it: the names of targets and outcomes, and the numbers. */
class RequestLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-31T12:34:56.789Z"), ZoneOffset.UTC);
    private static final Instant STARTED = Instant.parse("2026-01-31T12:34:56Z");
    /** Names a line must escape or carry as UTF-8: a quote, a backslash, a control character, accents, an emoji. */
    private static final Target ODD = new Target("pro\"vider\\x", "mod\u0001èl-\uD83D\uDE80");
    private static final Target PLAIN = new Target("openai", "gpt-4o-mini");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final RequestLogWriter writer = new RequestLogWriter(out, JSON.getFactory(), CLOCK, 1000, 1 << 20,
            Duration.ZERO);
    private final RequestLog log = new RequestLog(JSON, false, writer);

    @AfterEach
    void close() throws InterruptedException {
        writer.close();
    }

    @Test
    void aServedLineNamesEachAttemptItsOutcomeAndTheServer() throws Exception {
        List<Attempt> attempts = List.of(new Attempt(ODD, 0, FailureClass.RATE_LIMITED, 429, "slow down", 12),
                new Attempt(PLAIN, 0, null, 200, null, 340));
        Outcome.Served served = new Outcome.Served("req_1", null, PLAIN, attempts, 360, null, 0.0000375);

        String line = written(state(attempts), served, 200);

        JsonNode read = JSON.readTree(line);
        assertThat(read.get("attempts").get(0).get("provider").asText()).isEqualTo(ODD.provider());
        assertThat(read.get("attempts").get(0).get("model").asText()).isEqualTo(ODD.model());
        assertThat(read.get("attempts").get(0).get("outcome").asText()).isEqualTo("rate_limited");
        assertThat(read.get("attempts").get(0).get("status").asInt()).isEqualTo(429);
        assertThat(read.get("attempts").get(1).get("outcome").asText()).isEqualTo("ok");
        assertThat(read.get("outcome").asText()).isEqualTo("served");
        assertThat(read.get("served_by").asText()).isEqualTo("openai:gpt-4o-mini");
        assertThat(read.get("latency_ms").asLong()).isEqualTo(360);
        assertThat(read.get("cost_usd").asDouble()).isEqualTo(0.0000375);
    }

    @Test
    void aFailedLineNamesItsOddTargetAndItsTime() throws Exception {
        List<Attempt> attempts = List.of(new Attempt(ODD, 0, FailureClass.UNAVAILABLE, 503, "down", 7));
        Outcome.Failed failed = new Outcome.Failed("req_2", Outcome.Kind.PROVIDERS_FAILED, 0, null, null, "no provider",
                null, attempts, 41);

        JsonNode read = JSON.readTree(written(state(attempts), failed, 503));

        assertThat(read.get("attempts").get(0).get("provider").asText()).isEqualTo(ODD.provider());
        assertThat(read.get("attempts").get(0).get("outcome").asText()).isEqualTo("unavailable");
        assertThat(read.get("outcome").asText()).isEqualTo("failed");
        assertThat(read.get("status").asInt()).isEqualTo(503);
        assertThat(read.get("latency_ms").asLong()).isEqualTo(41);
        assertThat(read.has("served_by")).isFalse();
    }

    @Test
    void aServedAttemptIsSummedUpAsItsTargetAndOk() {
        assertThat(new Attempt(ODD, 0, null, 200, null, 1).summary()).isEqualTo(ODD.provider() + ":" + ODD.model()
                + "=ok");
        assertThat(new Attempt(PLAIN, 0, null, 200, null, 1).summary()).isEqualTo("openai:gpt-4o-mini=ok");
        assertThat(new Attempt(PLAIN, 0, FailureClass.TIMEOUT, 0, "late", 1).summary())
                .isEqualTo("openai:gpt-4o-mini=timeout");
        assertThat(new Attempt(PLAIN, 0, FailureClass.UNAVAILABLE, 503, "down", 1).summary())
                .isEqualTo("openai:gpt-4o-mini=unavailable(503)");
        assertThat(new Target("a", "b")).hasToString("a:b");
    }

    private static RoutingState state(List<Attempt> attempts) {
        return new RoutingState("req_1", "chat", RoutingPolicy.PRIORITY, STARTED, STARTED.plusSeconds(30), attempts,
                List.of(), null, null, null, RequestOptions.NONE, Set.of(), Estimates.of(java.util.Map.of()));
    }

    private String written(RoutingState state, Outcome outcome, int status) throws InterruptedException {
        log.write(state, outcome, status, "http", false, null,
                outcome instanceof Outcome.Served s ? s.costUsd() : null, List.of(), null);
        writer.flush();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n").contains(" requests - ");
        return text.substring(text.indexOf(" requests - ") + " requests - ".length(), text.length() - 1);
    }
}
