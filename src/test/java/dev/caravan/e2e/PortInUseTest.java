package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;

import dev.caravan.TestFolders;
import dev.caravan.testing.FreePorts;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose API port, management port or broker port is taken by another process does not start: its start
 * fails naming the setting and the address, rather than reporting a gateway started that serves nothing there.
 */
class PortInUseTest {

    @Test
    void aTakenApiPortFailsTheStartNamingIt() throws IOException {
        int port = FreePorts.take();
        try (ServerSocket taken = listening(new InetSocketAddress(port))) {
            assertThatThrownBy(() -> Gateway.start(List.of("alpha"), Map.of("caravan.http.port", Integer.toString(port))))
                    .hasStackTraceContaining("caravan.http.port " + port + " on 0.0.0.0 is in use");
        }
    }

    @Test
    void aTakenManagementPortFailsTheStartNamingIt() throws IOException {
        int port = FreePorts.take();
        int api = FreePorts.take();
        try (ServerSocket taken = listening(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            assertThatThrownBy(() -> Gateway.start(List.of("alpha"),
                    Map.of("camel.management.port", Integer.toString(port), "caravan.http.port", Integer.toString(api))))
                    .hasStackTraceContaining("camel.management.port " + port + " on 127.0.0.1 is in use");
        }
        // nothing of the failed gateway is left listening
        listening(new InetSocketAddress(api)).close();
    }

    @Test
    void aTakenBrokerPortFailsTheStartNamingIt() throws IOException {
        int port = FreePorts.take();
        try (ServerSocket taken = listening(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            assertThatThrownBy(() -> Gateway.start(List.of("alpha"),
                    Map.of("caravan.jms.acceptor", "tcp://127.0.0.1:" + port)))
                    .hasStackTraceContaining("caravan.jms.acceptor " + port + " on 127.0.0.1 is in use");
        }
    }

    /** What {@code java -jar} runs: the start fails (the process exits 1), and the console says why. */
    @Test
    void theRealStartPathFailsAndSaysWhy() throws IOException {
        int port = FreePorts.take();
        java.nio.file.Path data = TestFolders.create("caravan-port-in-use-");
        try (ServerSocket taken = listening(new InetSocketAddress(port))) {
            String console = FailedStart.console("test-key-alpha", Map.of(
                    "caravan.http.port", Integer.toString(port),
                    "caravan.model.smart", "alpha:model-alpha",
                    "camel.management.port", Integer.toString(FreePorts.take()),
                    "caravan.jms.acceptor", "tcp://127.0.0.1:" + FreePorts.take(),
                    "caravan.jms.data-dir", data.resolve("broker").toString(),
                    "caravan.file.inbox", data.resolve("inbox").toString(),
                    "caravan.file.outbox", data.resolve("outbox").toString(),
                    "caravan.file.done", data.resolve("done").toString(),
                    "caravan.file.error", data.resolve("error").toString()));

            assertThat(console).contains("Caravan did not start", "caravan.http.port " + port + " on 0.0.0.0 is in use");
        } finally {
            TestFolders.delete(data);
        }
    }

    private static ServerSocket listening(InetSocketAddress address) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.bind(address);
        return socket;
    }
}
