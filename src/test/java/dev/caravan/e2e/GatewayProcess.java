package dev.caravan.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A gateway in a process of its own, for what a gateway inside the test's JVM cannot show: a kill -9 in the
 * middle of work, and what a restart finds.
 */
final class GatewayProcess {

    private GatewayProcess() {
    }

    /** Starts the gateway with {@code properties} ({@code -Dkey=value}), once its API answers on {@code httpPort}. */
    static Process launch(List<String> properties, Path log, int httpPort) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dcamel.threads.virtual.enabled=true");
        command.addAll(properties);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.caravan.CaravanApplication");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient client = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("the gateway died at start: " + Files.readString(log));
            }
            try {
                return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/models"))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
        return process;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
