package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.caravan.TestFolders;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Simulator;
import org.junit.jupiter.api.Test;

/**
 * The gateway killed (kill -9) with file drops in flight: after a restart every file ends answered exactly
 * once (one answer in the outbox, the original in done) or in the error folder with a reason; none is lost
 * and none answered twice.
 */
class FileCrashRecoveryTest {

    @Test
    void filesInFlightWhenTheGatewayIsKilledAreEachSettledOnceAfterARestart() throws Exception {
        try (Simulator simulator = new Simulator("127.0.0.1");
                WatchService watcher = FileSystems.getDefault().newWatchService()) {
            simulator.add("alpha", null);
            simulator.start(0);
            Path data = TestFolders.create("caravan-file-crash-");
            Path inbox = Files.createDirectories(data.resolve("inbox"));
            Path outbox = Files.createDirectories(data.resolve("outbox"));
            Path done = data.resolve("done");
            Path error = data.resolve("error");
            int httpPort = GatewayProcess.freePort();
            List<String> args = GatewayProcess.withOneProvider(simulator, httpPort,
                    "-Dcaravan.jms.enabled=false",
                    "-Dcaravan.file.poll-interval=100ms",
                    "-Dcaravan.file.inbox=" + inbox,
                    "-Dcaravan.file.outbox=" + outbox,
                    "-Dcaravan.file.done=" + done,
                    "-Dcaravan.file.error=" + error);
            // every answer that lands in the outbox, counted by name across both lives of the gateway
            WatchKey outboxKey = outbox.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
            Map<String, Integer> landed = new HashMap<>();

            List<String> good = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                drop(inbox, "q" + i + ".txt", "question " + i);
                drop(inbox, "q" + i + ".json", "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"twin question " + i + "\"}]}");
                good.add("q" + i + ".txt");
                good.add("q" + i + ".json");
            }
            List<String> bad = List.of("broken.json", "empty.txt");
            drop(inbox, "broken.json", "{\"model\":");
            drop(inbox, "empty.txt", "");

            simulator.provider("alpha").fail(Fault.latency(300).scope("chat"));
            Process first = GatewayProcess.launch(args, data.resolve("first.log"), httpPort);
            eventually().until(() -> {
                collect(outboxKey, landed);
                return simulator.provider("alpha").chatCalls() >= 6;
            });
            first.destroyForcibly().waitFor();
            long callsBeforeCrash = simulator.provider("alpha").chatCalls();
            collect(outboxKey, landed);
            long answeredBeforeCrash = landed.keySet().stream().filter(n -> n.endsWith(".json")).count();

            simulator.provider("alpha").heal();
            Process second = GatewayProcess.launch(args, data.resolve("second.log"), httpPort);
            try {
                eventually().until(() -> {
                    collect(outboxKey, landed);
                    return requestsIn(inbox).isEmpty();
                });
                collect(outboxKey, landed);
            } finally {
                second.destroy();
                second.waitFor();
            }

            assertThat(callsBeforeCrash).as("files were in flight when the gateway died").isPositive();
            assertThat(answeredBeforeCrash).as("the crash left work for the restart").isLessThan(good.size());
            for (String name : good) {
                assertThat(landed.get(name + ".json")).as("answers written for " + name).isEqualTo(1);
                assertThat(outbox.resolve(name + ".json")).content().contains("question " + name.replaceAll("\\D", ""));
                assertThat(done.resolve(name)).exists();
                assertThat(error.resolve(name)).doesNotExist();
            }
            for (String name : bad) {
                assertThat(error.resolve(name)).exists();
                assertThat(error.resolve(name + ".error.json")).exists();
                assertThat(outbox.resolve(name + ".json")).doesNotExist();
            }
            assertThat(landed.keySet()).as("no answer for anything else").allMatch(n -> n.startsWith(".")
                    || good.contains(n.substring(0, n.length() - ".json".length())));
            try (Stream<Path> left = Files.list(inbox)) {
                assertThat(left.map(p -> p.getFileName().toString())).as("no read-lock marker left behind")
                        .noneMatch(n -> n.endsWith(".camelLock"));
            }
        }
    }

    private static void collect(WatchKey key, Map<String, Integer> landed) {
        for (WatchEvent<?> event : key.pollEvents()) {
            assertThat(event.kind()).as("no outbox event lost").isNotEqualTo(StandardWatchEventKinds.OVERFLOW);
            String name = event.context().toString();
            if (!name.startsWith(".")) {
                landed.merge(name, 1, Integer::sum);
            }
        }
        key.reset();
    }

    private static List<String> requestsIn(Path inbox) throws IOException {
        try (Stream<Path> all = Files.list(inbox)) {
            return all.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".txt") || n.endsWith(".json")).toList();
        }
    }

    private static void drop(Path inbox, String name, String content) throws IOException {
        Path temp = inbox.resolve("." + name + ".part");
        Files.writeString(temp, content);
        Files.move(temp, inbox.resolve(name));
    }
}
