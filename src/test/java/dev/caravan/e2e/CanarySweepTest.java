package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Fault.StreamFault;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A canary sweep: every provider key and client key is a distinctive string, every failure path is driven through
 * every ingress, and then nothing the gateway said (answers, headers, queue messages, files, status pages, metrics,
 * log lines with their stack traces, console output) may contain any of them. Each provider's first key is a canary
 * that the simulator refuses, so the canary is really sent and really rejected; the second key is the valid one.
 */
class CanarySweepTest {

    // distinctive, random-looking, and apart from alpha's not shaped like any provider's key, so that only the
    // configured-secret redaction (not the key-shape pattern) can hide them
    static final String ALPHA_KEY = "sk-canary-7f3a9c1e5b";
    static final String BRAVO_KEY = "canary-bravo-2d8e4f6a1c";
    static final String GAMMA_KEY = "canary-gamma-9b1c3e5d7f";
    static final String CLIENT_KEY = "canary-client-4e6a8c0b2d";
    static final String WRONG_CLIENT_KEY = "canary-wrong-client-8d0f2b4c6e";
    static final String INBOUND = "canary-inbound-5f7b9d1e3a";
    /**
     * Sent as a queue message's own properties. Looked for everywhere but in log lines and the broker's journal,
     * which hold the messages a caller sent (the JMS consumer logs each one it receives at debug).
     */
    static final String QUEUE_PROPERTY = "canary-queue-property-3c5e7a9b1d";

    /** What must never come out, by what it is. */
    static final Map<String, String> CANARIES = new LinkedHashMap<>();
    /** The same, and the queue message's property. */
    static final Map<String, String> CANARIES_AND_QUEUE_PROPERTY = new LinkedHashMap<>();

    static {
        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put("alpha's provider key", ALPHA_KEY);
        secrets.put("bravo's provider key", BRAVO_KEY);
        secrets.put("gamma's provider key", GAMMA_KEY);
        secrets.put("the client key", CLIENT_KEY);
        secrets.put("the wrong client key", WRONG_CLIENT_KEY);
        secrets.put("the inbound header", INBOUND);
        secrets.forEach((what, canary) -> {
            CANARIES.put(what, canary);
            // the random tail alone: a key that leaks cut, prefixed or re-spelt still shows it
            CANARIES.put(what + " (its tail)", canary.substring(canary.length() - 10));
        });
        // how the OpenAI API echoes a refused key: first and last four characters
        CANARIES.put("alpha's provider key as the provider masks it",
                ALPHA_KEY.substring(0, 4) + "*".repeat(ALPHA_KEY.length() - 8)
                        + ALPHA_KEY.substring(ALPHA_KEY.length() - 4));
        CANARIES_AND_QUEUE_PROPERTY.putAll(CANARIES);
        CANARIES_AND_QUEUE_PROPERTY.put("the queue message's property", QUEUE_PROPERTY);
    }

    /** One thing the gateway said, and where. */
    record Said(String where, String text) {
    }

    static final List<Said> http = new CopyOnWriteArrayList<>();
    static final List<Said> jms = new CopyOnWriteArrayList<>();
    static final List<Said> files = new CopyOnWriteArrayList<>();
    static final List<Said> pages = new CopyOnWriteArrayList<>();
    static final List<Said> logs = new CopyOnWriteArrayList<>();
    static final List<Said> journal = new CopyOnWriteArrayList<>();
    /** Scenarios that did not go the way the sweep meant them to: a path not driven is a path not checked. */
    static final List<String> notAsIntended = new CopyOnWriteArrayList<>();
    /** Evidence that each canary key was sent and refused: the attempts headers of the first served requests. */
    static final Map<String, String> canaryRefusals = new LinkedHashMap<>();
    /** What the simulated providers received, when the gateway had been sent inbound secrets. */
    static final Map<String, Map<String, List<String>>> receivedHeaders = new LinkedHashMap<>();

    /**
     * Every provider limit (attempt, first token, idle, health probe): only a provider told to hang reaches it, so
     * it decides nothing else, not even on a loaded machine; each hanging scenario waits it out once.
     */
    static final Duration PROVIDER_TIMEOUT = Duration.ofSeconds(15);

    static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static AbstractAppender capture;
    /** The request log's lines, which its own writer prints rather than Log4j. */
    static final java.util.function.Consumer<String> REQUEST_LINES =
            line -> logs.add(new Said("log line of caravan.requests", line));
    static Level rootLevel;
    static Map<String, org.apache.logging.log4j.core.Appender> consoleAppenders;
    static PrintStream originalOut;
    static PrintStream originalErr;
    static final ByteArrayOutputStream console = new ByteArrayOutputStream();
    static Gateway gateway;

    @BeforeAll
    static void sweep() throws Exception {
        captureEverything();
        try {
            gateway = Gateway.start(List.of("alpha", "bravo:anthropic", "gamma:gemini"), sweepProps("1h"));
            try {
                httpRequests();
                streamedRequests();
                queueRequests();
                fileDrops();
                wrongClientKeys();
                pagesAndMetrics();
            } finally {
                gateway.close();
            }
            readFiles(gateway);
            probeSweep();
            inboundHeadersWithClientKeysOff();
        } finally {
            releaseCapture();
        }
    }

    // ---- the sweep -----------------------------------------------------------------------------------------

    private static void httpRequests() {
        // the start-up probe sends each canary too and rests it when refused: it must be over before a request
        // can prove that the canary was sent, or the request may find the canary already resting
        boolean probed = awaitQuietly(() -> {
            for (JsonNode p : get("/v1/providers").json().get("data")) {
                if (p.path("last_probe").isNull() || p.path("last_probe").isMissingNode()) {
                    return false;
                }
            }
            return true;
        });
        intend(probed, null, "every provider probed once at start");
        for (String p : List.of("alpha", "bravo", "gamma")) {
            rearm();
            Answer served = chat("served by " + p + " after its canary key was refused", false, only(p));
            intend(served.status == 200, served, "served");
            canaryRefusals.put(p, served.header("x-caravan-attempts"));
            Map<String, List<String>> sent = gateway.provider(p).lastChatHeaders();
            intend(!sent.isEmpty() && !sent.toString().contains(CLIENT_KEY), served,
                    "the client key not forwarded to " + p + ": " + sent);
        }
        for (String p : List.of("alpha", "bravo", "gamma")) {
            fault(p, Fault.status(400));
            expect(chat(p + " refuses the request (caller_fault)", false, only(p)), 400, "provider_rejected_request");
            fault(p, Fault.status(400).withCode("context_length_exceeded"));
            expect(chat(p + " says the prompt is too long (context_length)", false, only(p)), 400,
                    "context_length_exceeded");
            heal();
        }
        fault("alpha", Fault.status(400).withCode("content_policy_violation"));
        expect(chat("alpha refuses on policy (content_policy)", false, Map.of()), 400, "content_policy_violation");

        rearm();
        fault("alpha", Fault.status(401));
        expect(chat("alpha refuses both keys (auth), bravo serves", false, Map.of()), 200,
                "alpha:model-alpha=auth(401)");
        rearm();
        faultAll(Fault.status(401));
        expect(chat("every key of every provider refused (auth)", false, Map.of()), 502, "providers_failed");

        rearm();
        fault("alpha", Fault.status(429).withRetryAfter(1));
        expect(chat("alpha rate-limits, bravo serves", false, Map.of()), 200, "rate_limited(429)");
        rearm();
        faultAll(Fault.status(429).withRetryAfter(1));
        Answer limited = chat("every key rate-limited", false, Map.of());
        expect(limited, 503, "all_providers_rate_limited");
        intend(limited.header("retry-after") != null, limited, "a Retry-After header");

        for (int status : List.of(500, 503, 529)) {
            rearm();
            fault("alpha", Fault.status(status));
            expect(chat("alpha answers " + status + " (unavailable), bravo serves", false, Map.of()), 200,
                    "unavailable(" + status + ")");
        }
        fault("alpha", Fault.status(500));
        fault("bravo", Fault.status(529));
        fault("gamma", Fault.status(503));
        expect(chat("every provider unavailable", false, Map.of()), 502, "providers_failed");

        heal();
        fault("alpha", Fault.mode("hang"));
        expect(chat("alpha hangs (timeout), bravo serves", false, Map.of()), 200, "alpha:model-alpha=timeout");
        fault("alpha", Fault.mode("reset"));
        expect(chat("alpha resets the connection (connection), bravo serves", false, Map.of()), 200,
                "alpha:model-alpha=connection");
        fault("alpha", Fault.mode("malformed"));
        expect(chat("alpha answers malformed JSON (bad_response), bravo serves", false, Map.of()), 200,
                "alpha:model-alpha=bad_response");
        fault("alpha", Fault.mode("reset"));
        fault("bravo", Fault.mode("malformed"));
        fault("gamma", Fault.status(500));
        expect(chat("every provider fails differently", false, Map.of()), 502, "providers_failed");
        faultAll(Fault.mode("hang"));
        expect(chat("every provider hangs past the deadline", false, Map.of("x-caravan-deadline", "2s")), 504,
                "deadline_exceeded");
        heal();
        expect(chat("no provider within the cost cap", false, Map.of("x-caravan-max-cost", "0.000000001")), 503,
                "no_provider_available");
    }

    private static void streamedRequests() {
        for (String p : List.of("alpha", "bravo", "gamma")) {
            rearm();
            expect(chat("stream served by " + p + " after its canary key was refused", true, only(p)), 200, "[DONE]");
        }
        rearm();
        fault("alpha", Fault.status(401));
        expect(chat("stream: alpha refuses both keys, bravo streams", true, Map.of()), 200,
                "alpha:model-alpha=auth(401)");
        rearm();
        fault("alpha", Fault.status(429).withRetryAfter(1));
        expect(chat("stream: alpha rate-limits, bravo streams", true, Map.of()), 200,
                "alpha:model-alpha=rate_limited(429)");
        fault("alpha", Fault.status(503));
        expect(chat("stream: alpha unavailable, bravo streams", true, Map.of()), 200,
                "alpha:model-alpha=unavailable(503)");
        fault("alpha", Fault.mode("hang"));
        expect(chat("stream: alpha hangs, bravo streams", true, Map.of()), 200, "alpha:model-alpha=timeout");
        fault("alpha", Fault.mode("reset"));
        expect(chat("stream: alpha resets, bravo streams", true, Map.of()), 200, "alpha:model-alpha=connection");
        fault("alpha", Fault.mode("malformed"));
        expect(chat("stream: alpha answers malformed, bravo streams", true, Map.of()), 200,
                "alpha:model-alpha=bad_response");
        fault("alpha", Fault.streaming(StreamFault.none().malformedAt(0)));
        expect(chat("stream: alpha's first event is malformed, bravo streams", true, Map.of()), 200,
                "alpha:model-alpha=bad_response");
        // later than the first-token limit by far: the limit, not the token, ends the attempt
        fault("alpha", Fault.streaming(StreamFault.none().firstToken(PROVIDER_TIMEOUT.multipliedBy(6).toMillis())));
        expect(chat("stream: alpha's first token is late, bravo streams", true, Map.of()), 200,
                "alpha:model-alpha=timeout");
        fault("alpha", Fault.status(400));
        expect(chat("stream: alpha refuses the request", true, Map.of()), 400, "provider_rejected_request");
        fault("alpha", Fault.status(400).withCode("context_length_exceeded"));
        // no window is configured here: the next model is tried once, as a guess
        expect(chat("stream: alpha says the prompt is too long, bravo takes it", true, Map.of()), 200,
                "alpha:model-alpha=context_length");
        fault("alpha", Fault.status(400).withCode("content_policy_violation"));
        expect(chat("stream: alpha refuses on policy", true, Map.of()), 400, "content_policy_violation");
        heal();
        fault("alpha", Fault.streaming(StreamFault.none().cutAfter(3)));
        expect(chat("stream: alpha's stream is cut after content (stream_broken)", true, only("alpha")), 200,
                "stream_broken");
        fault("alpha", Fault.streaming(StreamFault.none().stallAfter(2)));
        expect(chat("stream: alpha's stream stalls after content (stream_broken)", true, only("alpha")), 200,
                "stream_broken");
        for (String p : List.of("alpha", "bravo", "gamma")) {
            heal();
            fault(p, Fault.streaming(StreamFault.none().errorAfter(3)));
            expect(chat("stream: " + p + " fails inside the stream (stream_broken)", true, only(p)), 200,
                    "stream_broken");
        }
        heal();
        rearm();
        // the canary's refusal (with the provider's echo of it) is an attempt of a request that then fails
        fault("alpha", Fault.streaming(StreamFault.none().errorAfter(0)));
        expect(chat("stream: alpha refuses the canary, then fails before content", true, only("alpha")), 502,
                "auth(401)");
        faultAll(Fault.status(503));
        expect(chat("stream: every provider unavailable", true, Map.of()), 502, "providers_failed");
        heal();
    }

    private static void queueRequests() throws Exception {
        try (Connection connection = new ActiveMQConnectionFactory(gateway.brokerUrl()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer deadLetters = session.createConsumer(session.createQueue("llm.requests.DLQ"));

            rearm();
            TextMessage request = session.createTextMessage(body("by queue", false, null).toString());
            request.setStringProperty("Authorization", "Bearer " + QUEUE_PROPERTY);
            request.setStringProperty("xSecretHeader", QUEUE_PROPERTY);
            Message reply = ask(session, "jms: served after alpha's canary key was refused", request);
            intend(reply != null && reply.getStringProperty("caravanAttempts").contains("auth(401)"), null,
                    "jms: a reply naming the refused canary attempt");
            receivedHeaders.put("alpha, from a queue message with secret properties",
                    gateway.provider("alpha").lastChatHeaders());

            fault("alpha", Fault.status(400));
            reply = ask(session, "jms: alpha refuses the request",
                    session.createTextMessage(body("refused by queue", false, "alpha").toString()));
            intend(reply != null && reply.getIntProperty("caravanStatus") == 400, null, "jms: a 400 reply");
            intend(deadLetter(deadLetters, "jms: alpha refuses the request") != null, null, "jms: a dead letter (400)");

            faultAll(Fault.status(503));
            reply = ask(session, "jms: every provider unavailable, attempts spent",
                    session.createTextMessage("nobody can answer this"));
            intend(reply != null && reply.getIntProperty("caravanStatus") == 502, null, "jms: a 502 reply");
            Message dead = deadLetter(deadLetters, "jms: every provider unavailable, attempts spent");
            intend(dead != null && "unavailable".equals(dead.getStringProperty("caravanFailureClass")), null,
                    "jms: a dead letter (unavailable)");
            heal();

            reply = ask(session, "jms: a poison message",
                    session.createTextMessage("{\"model\":\"fast\",\"messages\":["));
            intend(reply != null && reply.getIntProperty("caravanStatus") == 400, null, "jms: a 400 reply to poison");
            intend(deadLetter(deadLetters, "jms: a poison message") != null, null, "jms: a dead letter (poison)");

            rearm();
            session.createProducer(session.createQueue("llm.requests")).send(session.createTextMessage("no reply-to"));
            Message onReplyQueue = session.createConsumer(session.createQueue("llm.replies"))
                    .receive(Gateway.ANSWER_WAIT.toMillis());
            record(jms, "jms: reply on the reply queue", onReplyQueue);
            intend(onReplyQueue != null, null, "jms: a reply on the reply queue");
            session.close();
        }
    }

    private static void fileDrops() throws Exception {
        rearm();
        drop("served.json", body("by file", false, null).toString());
        intend(awaitFile(gateway.data("outbox").resolve("served.json.json")), null, "file: an answer in the outbox");

        fault("alpha", Fault.status(400));
        drop("refused.json", body("refused by file", false, "alpha").toString());
        intend(awaitFile(gateway.data("error").resolve("refused.json.error.json")), null, "file: an error file (400)");

        fault("alpha", Fault.status(400).withCode("context_length_exceeded"));
        drop("too-long.json", body("too long by file", false, "alpha").toString());
        intend(awaitFile(gateway.data("error").resolve("too-long.json.error.json")), null,
                "file: an error file (context_length)");

        faultAll(Fault.status(503));
        long before = gateway.provider("gamma").chatCalls();
        drop("patient.txt", "answer me when someone can");
        eventually().until(() -> gateway.provider("gamma").chatCalls() >= before + 4);
        heal();
        rearm();
        intend(awaitFile(gateway.data("outbox").resolve("patient.txt.json")), null,
                "file: an answer once a provider came back");

        drop("broken.json", "{\"model\":");
        intend(awaitFile(gateway.data("error").resolve("broken.json.error.json")), null,
                "file: an error file (bad JSON)");
        drop("streamed.json", body("streamed by file", true, null).toString());
        intend(awaitFile(gateway.data("outbox").resolve("streamed.json.json")), null, "file: a streamed request answered");
    }

    private static void wrongClientKeys() {
        Map<String, String> wrong = Map.of("Authorization", "Bearer " + WRONG_CLIENT_KEY);
        expect(send("wrong client key: chat", "POST", "/v1/chat/completions", body("hi", false, null).toString(),
                wrong, false), 401, "invalid_api_key");
        expect(send("wrong client key: streamed chat", "POST", "/v1/chat/completions",
                body("hi", true, null).toString(), wrong, true), 401, "invalid_api_key");
        expect(send("wrong client key: models", "GET", "/v1/models", null, wrong, false), 401, "invalid_api_key");
        expect(send("wrong client key: providers", "GET", "/v1/providers", null, wrong, false), 401,
                "invalid_api_key");
        expect(send("wrong client key in a custom header too", "POST", "/v1/chat/completions",
                body("hi", false, null).toString(), Map.of("Authorization", "Basic " + WRONG_CLIENT_KEY,
                        "x-api-key", WRONG_CLIENT_KEY), false), 401, "missing_api_key");
        expect(send("no client key", "GET", "/v1/providers", null, Map.of(), false), 401, "missing_api_key");
    }

    private static void failingProbes() {
        Map<String, Fault> faults = new LinkedHashMap<>();
        faults.put("alpha", Fault.status(500).scope("models"));
        faults.put("bravo", Fault.mode("reset").scope("models"));
        faults.put("gamma", Fault.status(401).scope("models"));
        Map<String, String> expected = Map.of("alpha", "500", "bravo", "connection", "gamma", "401");
        faults.forEach(CanarySweepTest::fault);
        for (String p : faults.keySet()) {
            boolean seen = awaitQuietly(() -> providerStatus(p).path("last_probe_error").asText("")
                    .contains(expected.get(p)));
            intend(seen, null, "probe error on the status page for " + p + ": " + expected.get(p));
        }
        record(pages, "status page with failing probes", get("/v1/providers").text());
        fault("alpha", Fault.mode("hang").scope("models"));
        intend(awaitQuietly(() -> providerStatus("alpha").path("last_probe_error").asText("").contains("timeout")),
                null, "probe timeout on the status page");
        record(pages, "status page with a hanging probe", get("/v1/providers").text());
        heal();
        // the canary first key is refused by the probes: the status page shows it resting, or the refusal itself
        intend(awaitQuietly(() -> providerStatus("bravo").path("cooldown_ms").path(0).asLong() > 0
                        || providerStatus("bravo").path("last_probe_error").asText("").contains("401")),
                null, "the canary key's refusal on the status page");
    }

    private static void pagesAndMetrics() {
        record(pages, "GET /v1/providers", get("/v1/providers").text());
        record(pages, "GET /v1/models", get("/v1/models").text());
        for (String path : List.of("/observe/metrics", "/observe/health")) {
            HttpResponse<String> page = gateway.management(path);
            record(pages, "management " + path, page.statusCode() + "\n" + page.headers().map() + "\n" + page.body());
        }
    }

    /** The sweep's gateway settings, probing every {@code interval}. */
    private static Map<String, String> sweepProps(String interval) {
        return Gateway.props(
                "caravan.auth.keys", CLIENT_KEY,
                "caravan.provider.alpha.api-keys", ALPHA_KEY + ", test-key-alpha",
                "caravan.provider.bravo.api-keys", BRAVO_KEY + ", test-key-bravo",
                "caravan.provider.gamma.api-keys", GAMMA_KEY + ", test-key-gamma",
                "caravan.routing.policy", "priority",
                // bounds only: each is far beyond what a healthy answer takes however loaded the machine, and is
                // reached only by the providers told to hang, whose scenarios wait it out
                "caravan.request.deadline", "120s",
                "caravan.retry.backoff", "10ms",
                // a refused canary rests only briefly, so that later requests send it again
                "caravan.auth.failure-cooldown", "300ms",
                "caravan.rate-limit.default-cooldown", "300ms",
                "caravan.defaults.timeout", PROVIDER_TIMEOUT.toSeconds() + "s",
                "caravan.defaults.first-token-timeout", PROVIDER_TIMEOUT.toSeconds() + "s",
                "caravan.defaults.idle-timeout", PROVIDER_TIMEOUT.toSeconds() + "s",
                "caravan.breaker.minimum-calls", "1000",
                "caravan.breaker.sliding-window-size", "1000",
                // a probe that finds the canary refused rests it: here probes run once at start, and in
                // probeSweep() every 300 ms on a gateway of their own
                "caravan.health.interval", interval,
                "caravan.health.timeout", PROVIDER_TIMEOUT.toSeconds() + "s",
                "caravan.health.failure-threshold", "1000000",
                "caravan.jms.max-attempts", "2",
                "caravan.jms.redelivery-delay", "100ms",
                "caravan.file.poll-interval", "200ms");
    }

    /** Failing probes on a gateway of their own that probes every 300 ms with the canary keys first. */
    private static void probeSweep() {
        Gateway probing = Gateway.start(List.of("alpha", "bravo:anthropic", "gamma:gemini"), sweepProps("300ms"));
        Gateway main = gateway;
        gateway = probing;
        try {
            failingProbes();
            record(pages, "GET /v1/providers while probing", get("/v1/providers").text());
        } finally {
            gateway = main;
            probing.close();
        }
    }

    /** With client keys off, nothing a caller sends in headers reaches a provider, whatever its name. */
    private static void inboundHeadersWithClientKeysOff() {
        Gateway open = Gateway.start(List.of("alpha", "bravo:anthropic", "gamma:gemini"), Gateway.props(
                "caravan.routing.policy", "priority",
                "caravan.jms.enabled", "false",
                "caravan.file.enabled", "false"));
        Gateway keysOn = gateway;
        gateway = open;
        try {
            Map<String, String> secrets = new LinkedHashMap<>();
            secrets.put("Authorization", "Bearer " + CLIENT_KEY);
            secrets.put("x-secret-header", INBOUND);
            secrets.put("x-api-key", INBOUND);
            secrets.put("x-goog-api-key", INBOUND);
            secrets.put("Cookie", "session=" + INBOUND);
            for (String p : List.of("alpha", "bravo", "gamma")) {
                for (boolean streamed : List.of(false, true)) {
                    Map<String, String> headers = new LinkedHashMap<>(secrets);
                    headers.put("x-caravan-providers", p);
                    String label = "client keys off, inbound secrets, " + (streamed ? "streamed to " : "sent to ") + p;
                    Answer answer = send(label, "POST", "/v1/chat/completions",
                            body("inbound", streamed, null).toString(), headers, streamed);
                    intend(answer.status == 200, answer, "served with the gateway's own key");
                    receivedHeaders.put(p + (streamed ? ", streamed" : ""), open.provider(p).lastChatHeaders());
                }
            }
        } finally {
            gateway = keysOn;
            open.close();
        }
    }

    private static void readFiles(Gateway g) throws IOException {
        for (String folder : List.of("inbox", "outbox", "done", "error")) {
            try (Stream<Path> all = Files.walk(g.data(folder))) {
                for (Path file : all.filter(Files::isRegularFile).toList()) {
                    record(files, "file " + folder + "/" + g.data(folder).relativize(file),
                            new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
                }
            }
        }
        // the broker's journal holds the replies and dead letters at rest; Artemis may keep strings as UTF-16
        try (Stream<Path> all = Files.walk(g.data("broker"))) {
            for (Path file : all.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(file);
                String where = "broker journal " + g.data("broker").relativize(file);
                journal.add(new Said(where, new String(bytes, StandardCharsets.ISO_8859_1)));
                journal.add(new Said(where + " (as UTF-16LE)", new String(bytes, StandardCharsets.UTF_16LE)));
                journal.add(new Said(where + " (as UTF-16BE)", new String(bytes, StandardCharsets.UTF_16BE)));
            }
        }
    }

    // ---- the assertions ------------------------------------------------------------------------------------

    @Test
    void everyPathWasDrivenAsIntended() {
        assertThat(notAsIntended).as("scenarios that did not go as the sweep meant them to").isEmpty();
    }

    @Test
    void eachCanaryKeyWasReallySentAndRefused() {
        // an attempt refused for its key, on a request without any fault: only the canary can have been refused
        assertThat(canaryRefusals.get("alpha")).isEqualTo("alpha:model-alpha=auth(401), alpha:model-alpha=ok");
        assertThat(canaryRefusals.get("bravo")).isEqualTo("bravo:model-bravo=auth(401), bravo:model-bravo=ok");
        // Gemini refuses an unknown key with a 400 API_KEY_INVALID
        assertThat(canaryRefusals.get("gamma")).isEqualTo("gamma:model-gamma=auth(400), gamma:model-gamma=ok");
        // and the refusal the OpenAI API words with the key in it reached the gateway, which redacted it
        assertThat(logs).anyMatch(s -> s.text().contains("Incorrect API key provided: [redacted]"));
    }

    @Test
    void noCanaryInAnyHttpAnswerOrItsHeaders() {
        assertThat(http.size()).as("HTTP answers looked at").isGreaterThan(50);
        assertThat(leaks(http, CANARIES_AND_QUEUE_PROPERTY)).as("canaries in HTTP answers").isEmpty();
    }

    @Test
    void noCanaryInAnyQueueMessage() {
        assertThat(jms.size()).as("queue messages looked at").isGreaterThanOrEqualTo(8);
        assertThat(leaks(jms, CANARIES_AND_QUEUE_PROPERTY)).as("canaries in replies and dead letters").isEmpty();
    }

    @Test
    void noCanaryInAnyFile() {
        assertThat(files).anyMatch(s -> s.where().startsWith("file outbox/"))
                .anyMatch(s -> s.where().startsWith("file error/") && s.where().endsWith(".error.json"));
        assertThat(leaks(files, CANARIES_AND_QUEUE_PROPERTY))
                .as("canaries in the outbox, error, done and inbox folders").isEmpty();
        assertThat(journal).isNotEmpty();
        assertThat(leaks(journal, CANARIES)).as("canaries in the broker's journal").isEmpty();
    }

    @Test
    void noCanaryOnTheStatusPageModelsListMetricsOrHealth() {
        assertThat(pages).anyMatch(s -> s.text().contains("caravan_attempts_total"))
                .anyMatch(s -> s.text().contains("last_probe_error"));
        assertThat(leaks(pages, CANARIES_AND_QUEUE_PROPERTY)).as("canaries on pages").isEmpty();
    }

    @Test
    void noCanaryInAnyLogLineStackTraceOrConsoleOutput() {
        assertThat(logs).anyMatch(s -> s.where().contains("caravan.requests"))
                .anyMatch(s -> s.text().contains("\tat "));
        assertThat(leaks(logs, CANARIES)).as("canaries in what was logged or printed").isEmpty();
    }

    @Test
    void inboundHeadersAndClientKeysNeverReachAProvider() {
        assertThat(receivedHeaders).hasSize(7);
        receivedHeaders.forEach((call, headers) -> {
            assertThat(headers).as("headers received by %s", call).isNotEmpty()
                    .doesNotContainKeys("x-secret-header", "cookie", "xsecretheader");
            assertThat(headers.toString()).as("headers received by %s", call)
                    .doesNotContain(INBOUND, CLIENT_KEY, QUEUE_PROPERTY);
        });
        // each provider got its own key in its own header, and only that
        assertThat(receivedHeaders.get("alpha").get("authorization")).containsExactly("Bearer test-key-alpha");
        assertThat(receivedHeaders.get("bravo").get("x-api-key")).containsExactly("test-key-bravo");
        assertThat(receivedHeaders.get("gamma").get("x-goog-api-key")).containsExactly("test-key-gamma");
        assertThat(receivedHeaders.get("bravo")).doesNotContainKey("authorization");
        assertThat(receivedHeaders.get("gamma")).doesNotContainKey("authorization");
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** Every place a canary shows, with a little of what surrounds it. */
    static List<String> leaks(List<Said> said, Map<String, String> canaries) {
        List<String> found = new ArrayList<>();
        for (Said s : said) {
            canaries.forEach((what, canary) -> {
                int at = s.text().indexOf(canary);
                if (at >= 0) {
                    String around = s.text().substring(Math.max(0, at - 80),
                            Math.min(s.text().length(), at + canary.length() + 80)).replace('\n', ' ');
                    found.add(what + " found in " + s.where() + ": ..." + around + "...");
                }
            });
        }
        return found;
    }

    /** An HTTP answer: status, headers and body as received (a broken stream keeps what arrived). */
    record Answer(String label, int status, Map<String, List<String>> headers, String body) {

        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().getFirst()).findFirst().orElse(null);
        }

        String text() {
            return status + "\n" + headers + "\n" + body;
        }

        JsonNode json() {
            try {
                return Gateway.JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON: " + body, e);
            }
        }
    }

    private static Answer chat(String label, boolean streamed, Map<String, String> extraHeaders) {
        Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
        headers.put("Authorization", "Bearer " + CLIENT_KEY);
        return send(label, "POST", "/v1/chat/completions", body(label, streamed, null).toString(), headers, streamed);
    }

    private static Answer get(String path) {
        return send("GET " + path, "GET", path, null, Map.of("Authorization", "Bearer " + CLIENT_KEY), false, false);
    }

    private static Answer send(String label, String method, String path, String body, Map<String, String> headers,
            boolean streamed) {
        return send(label, method, path, body, headers, streamed, true);
    }

    private static Answer send(String label, String method, String path, String body, Map<String, String> headers,
            boolean streamed, boolean recorded) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .timeout(Gateway.ANSWER_WAIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        try {
            // a byte subscriber keeps what arrived before an aborted body's error (an InputStream drops what was
            // not read yet once the error is known)
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            java.util.concurrent.atomic.AtomicReference<HttpResponse.ResponseInfo> head =
                    new java.util.concurrent.atomic.AtomicReference<>();
            int status;
            Map<String, List<String>> answered;
            try {
                HttpResponse<Void> response = client.send(request.build(), info -> {
                    head.set(info);
                    return HttpResponse.BodySubscribers.fromSubscriber(new java.util.concurrent.Flow.Subscriber<
                            List<java.nio.ByteBuffer>>() {
                        @Override
                        public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
                            subscription.request(Long.MAX_VALUE);
                        }

                        @Override
                        public void onNext(List<java.nio.ByteBuffer> buffers) {
                            synchronized (received) {
                                for (java.nio.ByteBuffer b : buffers) {
                                    byte[] bytes = new byte[b.remaining()];
                                    b.get(bytes);
                                    received.writeBytes(bytes);
                                }
                            }
                        }

                        @Override
                        public void onError(Throwable error) {
                        }

                        @Override
                        public void onComplete() {
                        }
                    });
                });
                status = response.statusCode();
                answered = response.headers().map();
            } catch (IOException broken) {
                if (head.get() == null) {
                    throw broken;
                }
                status = head.get().statusCode();
                answered = head.get().headers().map();
                synchronized (received) {
                    received.writeBytes(("\n<connection broke: " + broken.getMessage() + ">")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            Answer answer = new Answer(label, status, answered, received.toString(StandardCharsets.UTF_8));
            if (recorded) {
                record(http, "HTTP answer to '" + label + "'" + (streamed ? " (streamed)" : ""), answer.text());
            }
            return answer;
        } catch (IOException e) {
            throw new IllegalStateException(label, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(label, e);
        }
    }

    /** A chat request for the alias {@code fast}; a non-null {@code provider} restricts it there (body options). */
    private static ObjectNode body(String prompt, boolean streamed, String provider) {
        ObjectNode body = Gateway.JSON.createObjectNode().put("model", "fast");
        if (streamed) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        }
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        if (provider != null) {
            body.putObject("caravan").putArray("providers").add(provider);
        }
        return body;
    }

    private static Map<String, String> only(String provider) {
        return Map.of("x-caravan-providers", provider);
    }

    private static void expect(Answer answer, int status, String contains) {
        intend(answer.status == status && answer.text().contains(contains), answer,
                "status " + status + " with '" + contains + "'");
    }

    private static void intend(boolean happened, Answer answer, String what) {
        if (!happened) {
            notAsIntended.add(what + (answer == null ? "" : " for '" + answer.label + "', got: " + answer.text()));
        }
    }

    /** Sets a fault once the provider has a key to call it with: a scenario on a provider skipped proves nothing. */
    private static void fault(String provider, Fault fault) {
        boolean usable = awaitQuietly(() -> {
            for (JsonNode millis : providerStatus(provider).get("cooldown_ms")) {
                if (millis.asLong() == 0) {
                    return true;
                }
            }
            return false;
        });
        intend(usable, null, provider + " has a usable key");
        // chat faults stay off the model listing, so that the background probes do not use them up
        gateway.provider(provider).fail(fault.scope() == null ? fault.scope("chat") : fault);
    }

    private static void faultAll(Fault fault) {
        List.of("alpha", "bravo", "gamma").forEach(p -> fault(p, fault));
    }

    private static void heal() {
        List.of("alpha", "bravo", "gamma").forEach(p -> gateway.provider(p).heal());
    }

    /** Heals every provider and waits until no key is cooling down, so the next request sends each canary again. */
    private static void rearm() {
        heal();
        boolean rested = awaitQuietly(() -> {
            JsonNode all = get("/v1/providers").json();
            for (JsonNode p : all.get("data")) {
                for (JsonNode millis : p.get("cooldown_ms")) {
                    if (millis.asLong() > 0) {
                        return false;
                    }
                }
            }
            return true;
        });
        intend(rested, null, "every key rested before a scenario");
    }

    private static JsonNode providerStatus(String provider) {
        for (JsonNode p : get("/v1/providers").json().get("data")) {
            if (p.get("id").asText().equals(provider)) {
                return p;
            }
        }
        throw new IllegalArgumentException(provider);
    }

    // every condition awaited is one the sweep means to reach: a generous bound costs nothing when it is reached, and a
    // loaded machine may take several seconds to start a gateway and send its first probe
    private static boolean awaitQuietly(Callable<Boolean> condition) {
        try {
            eventually().pollInterval(Duration.ofMillis(50)).until(condition);
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }

    private static Message ask(Session session, String label, TextMessage request) throws JMSException {
        TemporaryQueue replies = session.createTemporaryQueue();
        request.setJMSReplyTo(replies);
        session.createProducer(session.createQueue("llm.requests")).send(request);
        try (MessageConsumer consumer = session.createConsumer(replies)) {
            Message reply = consumer.receive(Gateway.ANSWER_WAIT.toMillis());
            record(jms, label + " (reply)", reply);
            intend(reply != null, null, label + ": a reply");
            return reply;
        }
    }

    private static Message deadLetter(MessageConsumer deadLetters, String label) throws JMSException {
        Message dead = deadLetters.receive(Gateway.ANSWER_WAIT.toMillis());
        record(jms, label + " (dead letter)", dead);
        return dead;
    }

    private static void record(List<Said> where, String label, Message message) {
        if (message == null) {
            return;
        }
        try {
            StringBuilder text = new StringBuilder();
            text.append("JMSCorrelationID=").append(message.getJMSCorrelationID())
                    .append(" JMSType=").append(message.getJMSType())
                    .append(" JMSReplyTo=").append(message.getJMSReplyTo()).append('\n');
            for (Enumeration<?> names = message.getPropertyNames(); names.hasMoreElements(); ) {
                String name = (String) names.nextElement();
                text.append(name).append('=').append(message.getObjectProperty(name)).append('\n');
            }
            if (message instanceof TextMessage t) {
                text.append(t.getText());
            } else if (message instanceof BytesMessage b) {
                byte[] bytes = new byte[(int) b.getBodyLength()];
                b.readBytes(bytes);
                text.append(new String(bytes, StandardCharsets.UTF_8));
            }
            where.add(new Said(label, text.toString()));
        } catch (JMSException e) {
            throw new IllegalStateException(label, e);
        }
    }

    private static void record(List<Said> where, String label, String text) {
        where.add(new Said(label, text));
    }

    private static void drop(String name, String content) throws IOException {
        Path temp = gateway.data("inbox").resolve("." + name + ".part");
        Files.writeString(temp, content);
        Files.move(temp, gateway.data("inbox").resolve(name));
    }

    private static boolean awaitFile(Path file) {
        try {
            eventually().until(() -> Files.exists(file));
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }

    // ---- capturing what is logged and printed --------------------------------------------------------------

    /**
     * Every log event at debug and above (loggers the project's log configuration pins stay as pinned), and
     * everything printed to the console. Debug is what an operator turns on to see why something failed.
     */
    private static void captureEverything() {
        capture = new AbstractAppender("canary-sweep", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringBuilder text = new StringBuilder(event.getLevel() + " [" + event.getThreadName() + "] "
                        + event.getLoggerName() + " - " + event.getMessage().getFormattedMessage());
                event.getContextData().forEach((k, v) -> text.append(' ').append(k).append('=').append(v));
                if (event.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    event.getThrown().printStackTrace(new PrintWriter(trace));
                    text.append('\n').append(trace);
                }
                logs.add(new Said("log line of " + event.getLoggerName() + " at " + event.getLevel(), text.toString()));
            }
        };
        capture.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        rootLevel = config.getRootLogger().getLevel();
        // the console keeps its level: the capture sees every debug event whole, and printing them all too (tens
        // of megabytes through the test JVM's console) would only cost time
        consoleAppenders = Map.copyOf(config.getRootLogger().getAppenders());
        consoleAppenders.forEach((name, appender) -> {
            config.getRootLogger().removeAppender(name);
            config.getRootLogger().addAppender(appender, rootLevel, null);
        });
        config.getRootLogger().addAppender(capture, null, null);
        RequestLogOutput.listen(REQUEST_LINES);
        config.getRootLogger().setLevel(Level.DEBUG);
        context.updateLoggers();
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(new Tee(originalOut), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(originalErr), true, StandardCharsets.UTF_8));
    }

    private static void releaseCapture() {
        RequestLogOutput.stopListening(REQUEST_LINES);
        System.setOut(originalOut);
        System.setErr(originalErr);
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        config.getRootLogger().setLevel(rootLevel);
        config.getRootLogger().removeAppender(capture.getName());
        consoleAppenders.forEach((name, appender) -> {
            config.getRootLogger().removeAppender(name);
            config.getRootLogger().addAppender(appender, null, null);
        });
        context.updateLoggers();
        synchronized (console) {
            logs.add(new Said("console output", console.toString(StandardCharsets.UTF_8)));
        }
    }

    /** Writes through to the real console and keeps a copy. */
    private static final class Tee extends OutputStream {

        private final OutputStream out;

        Tee(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            synchronized (console) {
                console.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            synchronized (console) {
                console.write(b, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
