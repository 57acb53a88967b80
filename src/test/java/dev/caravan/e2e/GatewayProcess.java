package dev.caravan.e2e;

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

import dev.caravan.simulator.Simulator;
import dev.caravan.testing.FreePorts;

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
        command.add("--enable-native-access=ALL-UNNAMED"); // as the gateway ships: JNA opens file drops
        // a gateway that lives for seconds: the quick compiler alone and the serial collector start it on about
        // two thirds of the CPU time, which a test machine running other tests beside it does not have to spare
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-XX:+UseSerialGC");
        command.addAll(properties);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.caravan.CaravanApplication");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient client = HttpClient.newHttpClient();
        try {
            // a JVM of its own starts slowly on a loaded machine: the bound is for a start that never comes
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the gateway died at start: " + Files.readString(log));
                }
                try {
                    // 401: up, and wanting a client key
                    int status = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                            + "/v1/models")).timeout(Gateway.ANSWER_WAIT).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                    return status == 200 || status == 401;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (RuntimeException | Error e) {
            // the caller never gets the process to stop: it must not outlive the test
            process.destroyForcibly().waitFor();
            throw e;
        }
        return process;
    }

    /**
     * The properties of a gateway on {@code httpPort}: those of {@link #oneProvider}, and a free management port.
     */
    static List<String> withOneProvider(Simulator simulator, int httpPort, String... more) throws IOException {
        List<String> properties = new ArrayList<>(List.of(
                "-Dcaravan.http.port=" + httpPort,
                "-Dcamel.management.port=" + freePort()));
        properties.addAll(oneProvider(simulator, more));
        return List.copyOf(properties);
    }

    /**
     * The properties of a gateway whose one provider, {@code alpha}, is the simulator's, aliases {@code fast} and
     * {@code smart} both served by it, with {@code more} after them.
     */
    static List<String> oneProvider(Simulator simulator, String... more) {
        List<String> properties = new ArrayList<>(List.of(
                "-Dcaravan.simulator.enabled=false",
                "-Dcaravan.providers=alpha",
                "-Dcaravan.provider.alpha.dialect=openai",
                "-Dcaravan.provider.alpha.base-url=" + simulator.baseUrl("alpha"),
                "-Dcaravan.provider.alpha.api-keys=crash-key",
                "-Dcaravan.model.fast=alpha:model-alpha",
                "-Dcaravan.model.smart=alpha:model-alpha",
                "-Dcaravan.health.interval=1h"));
        properties.addAll(List.of(more));
        return List.copyOf(properties);
    }

    /** A port reserved for a gateway process's server: see {@link FreePorts}. */
    static int freePort() throws IOException {
        return FreePorts.take();
    }
}
