package dev.caravan.e2e;

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
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One replica: a gateway in a process of its own on ports of its own, and the plain HTTP calls the multi-replica
 * tests make to it. {@link #startTwo} starts the pair those tests share state between.
 */
record Replica(String name, int port, int managementPort, Process process) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    /**
     * Replicas {@code a} and {@code b}, started side by side, each with {@code properties.apply(name)}, logging to
     * {@code logs}.
     */
    record Pair(Replica a, Replica b, Path logs) implements AutoCloseable {

        @Override
        public void close() {
            a.stop();
            b.stop();
        }
    }

    /**
     * Starts replicas {@code a} and {@code b} at once, each given the {@code -Dkey=value} properties that
     * {@code properties} returns for its name, logging to a fresh folder named {@code logPrefix...}. The replica
     * that did start is stopped again when the other does not.
     */
    static Pair startTwo(String logPrefix, Function<String, List<String>> properties) throws IOException {
        Path logs = Files.createTempDirectory(logPrefix);
        CompletableFuture<Replica> first = CompletableFuture.supplyAsync(() -> start("a", logs, properties.apply("a")));
        CompletableFuture<Replica> second = CompletableFuture.supplyAsync(() -> start("b", logs, properties.apply("b")));
        try {
            CompletableFuture.allOf(first, second).join();
        } catch (CompletionException e) {
            List.of(first, second).forEach(f -> f.thenAccept(Replica::stop));
            throw e;
        }
        return new Pair(first.join(), second.join(), logs);
    }

    /** Starts one replica with {@code properties} beside its own HTTP and management ports. */
    static Replica start(String name, Path logs, List<String> properties) {
        try {
            int port = GatewayProcess.freePort();
            int management = GatewayProcess.freePort();
            List<String> all = new ArrayList<>(List.of("-Dcaravan.http.port=" + port,
                    "-Dcamel.management.port=" + management));
            all.addAll(properties);
            return new Replica(name, port, management, GatewayProcess.launch(all, logs.resolve(name + ".log"), port));
        } catch (Exception e) {
            throw new IllegalStateException("replica " + name + " did not start", e);
        }
    }

    void stop() {
        process.destroyForcibly();
    }

    /** POSTs a JSON {@code body}, with {@code headers} as name, value, name, value... */
    HttpResponse<String> post(String path, String body, String... headers) {
        return send(request(path, headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    HttpResponse<String> get(String path, String... headers) {
        return send(request(path, headers).build());
    }

    /** The JSON answer to a GET of {@code path}. */
    JsonNode json(String path, String... headers) {
        try {
            return JSON.readTree(get(path, headers).body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Prometheus page on the management port. */
    String metrics() {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/metrics"))
                .build()).body();
    }

    private HttpRequest.Builder request(String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        return headers.length == 0 ? request : request.headers(headers);
    }

    private static HttpResponse<String> send(HttpRequest request) {
        HttpRequest bounded = request.timeout().isPresent() ? request
                : HttpRequest.newBuilder(request, (name, value) -> true).timeout(Gateway.ANSWER_WAIT).build();
        try {
            return CLIENT.send(bounded, HttpResponse.BodyHandlers.ofString());
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
}
