package dev.caravan.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.TestFolders;
import dev.caravan.console.Console;
import dev.caravan.routing.RequestLogWriter;
import dev.caravan.simulator.SimulatedProvider;
import dev.caravan.simulator.Simulator;
import dev.caravan.testing.FreePorts;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.awaitility.Awaitility;

/**
 * A real Caravan, booted from the project's own application.properties and routes/ folder, in front of
 * simulated providers on loopback. Ports are free ones; the given properties override the file's.
 */
final class Gateway implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How long a request without a timeout of its own waits for its answer: far longer than any answer takes on a
     * loaded machine, so that it never decides a result, only turns a lost answer into a failure.
     */
    static final Duration ANSWER_WAIT = Duration.ofSeconds(90);

    private final Simulator simulator = new Simulator("127.0.0.1");
    private final Main main = new Main();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final int managementPort;
    private final int brokerPort;
    private final java.nio.file.Path dataDir;
    private final List<String> providerNames;
    /** The gateway's request log writer, when it has one. */
    private RequestLogWriter requestLog;

    /** With {@code beans} bound in the gateway's registry before it starts, by name. */
    private Gateway(List<String> providers, Map<String, String> overrides, Map<String, Object> beans) {
        System.setProperty("camel.threads.virtual.enabled", "true");
        // a provider is "name" (OpenAI) or "name:dialect"
        Map<String, String> dialects = new LinkedHashMap<>();
        for (String spec : providers) {
            int colon = spec.indexOf(':');
            dialects.put(colon < 0 ? spec : spec.substring(0, colon), colon < 0 ? "openai" : spec.substring(colon + 1));
        }
        providers = List.copyOf(dialects.keySet());
        providerNames = providers;
        dialects.forEach((p, dialect) -> simulator.add(p, dialect, "test-key-" + p));
        simulator.start(0);
        port = freePort();
        managementPort = freePort();
        Properties props = new Properties();
        props.put("caravan.http.port", Integer.toString(port));
        props.put("camel.management.port", Integer.toString(managementPort));
        props.put("caravan.providers", String.join(",", providers));
        props.put("caravan.simulator.enabled", "false");
        // the file's providers stay configured but disabled; the test's take their place
        for (String p : providers) {
            props.put("caravan.provider." + p + ".dialect", dialects.get(p));
            props.put("caravan.provider." + p + ".base-url", simulator.baseUrl(p));
            props.put("caravan.provider." + p + ".api-keys", "test-key-" + p);
        }
        props.put("caravan.model.fast", String.join(",", providers.stream().map(p -> p + ":model-" + p).toList()));
        props.put("caravan.model.smart", providers.getFirst() + ":model-" + providers.getFirst());
        props.put("caravan.health.interval", "1h");
        // A JMS consumer stops only when its receive returns, and one caught setting up waits out the recovery
        // interval (1 s and 5 s by default): short ones let each test gateway close at once, as production needs not
        props.put("camel.component.jms.receive-timeout", "100");
        props.put("camel.component.jms.recovery-interval", "100");
        // a few consumers at most still take several messages at once, and start and stop quicker than 200
        props.put("caravan.jms.concurrency", "8");
        dataDir = TestFolders.create("caravan-test-");
        brokerPort = freePort();
        props.put("caravan.jms.acceptor", "tcp://127.0.0.1:" + brokerPort);
        props.put("caravan.jms.data-dir", dataDir.resolve("broker").toString());
        for (String folder : List.of("inbox", "outbox", "done", "error")) {
            props.put("caravan.file." + folder, dataDir.resolve(folder).toString());
        }
        props.putAll(overrides);
        // a profile is chosen before the properties are read, as -Dcamel.main.profile does
        if (overrides.containsKey("camel.main.profile")) {
            main.configure().setProfile(overrides.get("camel.main.profile"));
        }
        main.setDefaultPropertyPlaceholderLocation("file:application.properties");
        main.setOverrideProperties(props);
        // the console's fault controls drive this simulator, as they drive the built-in one
        main.bind(Console.SIMULATOR, simulator);
        // the request log's lines reach RequestLogCapture (and the console) through it
        if (!beans.containsKey(dev.caravan.CaravanConfiguration.REQUEST_LOG_OUTPUT)) {
            main.bind(dev.caravan.CaravanConfiguration.REQUEST_LOG_OUTPUT, RequestLogOutput.INSTANCE);
        }
        beans.forEach(main::bind);
        // its own thread: main.run() blocks until stopped, and the common pool may have a single worker
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread.ofPlatform().daemon().name("caravan-main").start(() -> {
            try {
                main.run();
            } catch (Exception e) {
                failed.set(e);
            }
        });
        // polled, not spun: a busy wait would take a core from the gateway it is waiting for; the bound is for a
        // start that never comes, and is generous because a loaded machine starts slowly
        try {
            Awaitility.await("the gateway's start").atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> failed.get() != null
                            || main.getCamelContext() != null && main.getCamelContext().isStarted());
        } catch (RuntimeException | Error e) {
            // nobody gets this gateway to close it
            close();
            throw e;
        }
        if (failed.get() != null) {
            closeNow();
            throw new IllegalStateException("the gateway did not start", failed.get());
        }
        requestLog = main.getCamelContext().getRegistry().findSingleByType(RequestLogWriter.class);
        if (requestLog != null) {
            RequestLogOutput.track(requestLog);
        }
    }

    static Gateway start(List<String> providers, Map<String, String> overrides) {
        return new Gateway(providers, overrides, Map.of());
    }

    /** A gateway whose windows, waits and deadlines follow {@code clock}, when not null. */
    static Gateway start(List<String> providers, Map<String, String> overrides, java.time.Clock clock) {
        return new Gateway(providers, overrides,
                clock == null ? Map.of() : Map.<String, Object>of(dev.caravan.CaravanConfiguration.CLOCK, clock));
    }

    /**
     * A gateway with {@code beans} in its registry, by name, before it starts (an event notifier there hears the
     * start).
     */
    static Gateway startWith(List<String> providers, Map<String, String> overrides, Map<String, Object> beans) {
        return new Gateway(providers, overrides, beans);
    }

    static Gateway start(String... providers) {
        return new Gateway(List.of(providers), Map.of(), Map.of());
    }

    SimulatedProvider provider(String name) {
        return simulator.provider(name);
    }

    /** Every simulated provider healed and its call counts reset: a test's faults must not steer the next test. */
    void healAll() {
        for (String name : providerNames) {
            simulator.provider(name).heal();
            simulator.provider(name).resetCounts();
        }
    }

    private long streamPiecesSent() {
        return providerNames.stream().mapToLong(name -> simulator.provider(name).streamPieces()).sum();
    }

    Simulator simulator() {
        return simulator;
    }

    CamelContext camel() {
        return main.getCamelContext();
    }

    int port() {
        return port;
    }

    /** The embedded broker's TCP acceptor, for JMS clients. */
    String brokerUrl() {
        return "tcp://127.0.0.1:" + brokerPort;
    }

    /** The gateway's data folder: broker journal and the file-drop folders inbox, outbox, done, error. */
    java.nio.file.Path data(String folder) {
        return dataDir.resolve(folder);
    }

    HttpResponse<String> chat(String body) {
        return post("/v1/chat/completions", body, Map.of());
    }

    HttpResponse<String> chat(String model, String prompt) {
        return chat("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}");
    }

    HttpResponse<String> post(String path, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.keySet().stream().noneMatch("Content-Type"::equalsIgnoreCase)) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        return send(request.build());
    }

    /**
     * A streamed chat: the events as they arrived, each with the number of content pieces the simulated
     * providers had sent by then (an event that arrives while that number still grows was not held back).
     */
    Streamed stream(String body) {
        return stream("/v1/chat/completions", body, Map.of());
    }

    /** A streamed answer of any protocol's {@code path}, sent with {@code headers}, as {@link #stream(String)}. */
    Streamed stream(String path, String body, Map<String, String> headers) {
        return stream(path, body, headers, java.util.Collections.synchronizedList(new ArrayList<>()));
    }

    /**
     * A streamed chat sent from another thread, as {@link #stream(String)}: a test sees each event as it arrives
     * ({@link Streaming#seen}), and so can act at a known point of the stream, such as once the first content has
     * reached the client.
     */
    Streaming streaming(String body) {
        return streaming("/v1/chat/completions", body, Map.of());
    }

    /** A streamed answer of any protocol's {@code path}, sent with {@code headers} from another thread. */
    Streaming streaming(String path, String body, Map<String, String> headers) {
        List<Streamed.Event> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        return new Streaming(seen, java.util.concurrent.CompletableFuture.supplyAsync(
                () -> stream(path, body, headers, seen)));
    }

    /**
     * A stream under way.
     *
     * @param seen   the events so far, in order; a live view
     * @param answer the whole answer, once the stream has ended
     */
    record Streaming(List<Streamed.Event> seen, java.util.concurrent.CompletableFuture<Streamed> answer) {

        /** Whether an event carrying content has arrived yet. */
        boolean contentSeen() {
            synchronized (seen) {
                return !new Streamed(0, null, List.copyOf(seen), "").contentEvents().isEmpty();
            }
        }
    }

    private Streamed stream(String path, String body, Map<String, String> headers, List<Streamed.Event> events) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(builder::header);
        HttpRequest request = builder.build();
        // a line subscriber sees every line that arrived before a broken body's error, in order (an InputStream
        // or a Stream of lines drops what was not yet read once the error is known)
        StringBuilder plain = new StringBuilder();
        java.util.concurrent.atomic.AtomicReference<HttpResponse.ResponseInfo> head =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.Flow.Subscriber<String> lines = new java.util.concurrent.Flow.Subscriber<>() {
            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String line) {
                if (line.startsWith("data: ")) {
                    events.add(new Streamed.Event(line.substring(6), streamPiecesSent()));
                } else if (!line.isEmpty()) {
                    plain.append(line);
                }
            }

            @Override
            public void onError(Throwable error) {
                events.add(new Streamed.Event("<connection broke: " + error.getMessage() + ">", streamPiecesSent()));
            }

            @Override
            public void onComplete() {
            }
        };
        try {
            HttpResponse<Void> response;
            try {
                response = client.send(request, info -> {
                    head.set(info);
                    return HttpResponse.BodySubscribers.fromLineSubscriber(lines, s -> null,
                            java.nio.charset.StandardCharsets.UTF_8, "\n");
                });
            } catch (IOException e) {
                if (head.get() == null) {
                    throw e;
                }
                if (events.isEmpty() || !events.getLast().data().startsWith("<connection broke")) {
                    events.add(new Streamed.Event("<connection broke: " + e.getMessage() + ">", streamPiecesSent()));
                }
                return new Streamed(head.get().statusCode(), head.get().headers(), List.copyOf(events),
                        plain.toString());
            }
            return new Streamed(response.statusCode(), response.headers(), List.copyOf(events), plain.toString());
        } catch (IOException e) {
            // a timed-out stream names what it waited for, as send does
            throw new IllegalStateException(request.method() + " " + request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * What a streamed request got back.
     *
     * @param events the {@code data:} payloads in order
     * @param plain  any body that was not an event stream (an error answer)
     */
    record Streamed(int status, java.net.http.HttpHeaders headers, List<Event> events, String plain) {

        /** @param piecesSent content pieces the simulated providers had written when this event arrived */
        record Event(String data, long piecesSent) {
        }

        /** The events that carry a piece of content (not the role's opening, empty one). */
        List<Event> contentEvents() {
            return events.stream()
                    .filter(e -> e.data().contains("\"content\":\"") && !e.data().contains("\"content\":\"\""))
                    .toList();
        }

        /** The payloads that are chunks (not [DONE]), parsed. */
        List<JsonNode> chunks() {
            return events.stream().map(Event::data).filter(d -> d.startsWith("{")).map(d -> {
                try {
                    return JSON.readTree(d);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        }

        /** The text of every content delta, joined. */
        String text() {
            StringBuilder text = new StringBuilder();
            for (JsonNode chunk : chunks()) {
                for (JsonNode choice : chunk.path("choices")) {
                    text.append(choice.path("delta").path("content").asText(""));
                }
            }
            return text.toString();
        }

        boolean done() {
            return !events.isEmpty() && events.getLast().data().equals("[DONE]");
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build());
    }

    int managementPort() {
        return managementPort;
    }

    HttpResponse<String> management(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path)).GET().build());
    }

    /** The status entry of one provider from GET /v1/providers. */
    JsonNode status(String provider) {
        JsonNode all = json(get("/v1/providers"));
        for (JsonNode p : all.get("data")) {
            if (p.get("id").asText().equals(provider)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no status for " + provider);
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + response.body(), e);
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        // an answer that never comes fails the test naming the request, instead of holding the whole run
        HttpRequest bounded = request.timeout().isPresent() ? request
                : HttpRequest.newBuilder(request, (name, value) -> true).timeout(ANSWER_WAIT).build();
        try {
            return client.send(bounded, HttpResponse.BodyHandlers.ofString());
        } catch (java.net.http.HttpTimeoutException e) {
            throw new IllegalStateException("no answer to " + bounded.method() + " " + bounded.uri() + " within "
                    + bounded.timeout().orElseThrow().toSeconds() + " s", e);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> props(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    /** A port reserved for this gateway's server: see {@link FreePorts}. */
    private static int freePort() {
        return FreePorts.take();
    }

    /**
     * Closes at the end of a test class: the calls still open at the simulated providers (a hanging fault, a probe
     * of a provider left hanging) are cut first, or the gateway's graceful shutdown would wait them out.
     */
    void closeNow() {
        simulator.close();
        close();
        TestFolders.delete(dataDir);
    }

    @Override
    public void close() {
        if (requestLog != null) {
            RequestLogOutput.untrack(requestLog);
        }
        main.stop();
        try {
            if (main.getCamelContext() != null) {
                main.getCamelContext().stop();
            }
        } catch (Exception ignored) {
            // stopping is best effort between tests
        }
        simulator.close();
    }
}
