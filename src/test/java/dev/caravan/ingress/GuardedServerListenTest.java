package dev.caravan.ingress;

import static dev.caravan.testing.Eventually.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A guarded server listens on one event loop per instance; when the port cannot be had, listen fails and leaves no
 * instance bound, so that the port is free for the next try.
 */
class GuardedServerListenTest {

    private final Vertx vertx = Vertx.vertx();
    private final Vertx guarded = GuardedVertx.of(vertx,
            new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(75), Duration.ofSeconds(60),
                    Duration.ofSeconds(180), 100, 8192, 4096),
            new JsonErrorPages(new ObjectMapper(), new DefaultCamelContext(), 1 << 20,
                    new dev.caravan.provider.SecretRedactor(List.of())), 4,
            new BodyBudget(0, 1 << 20, new SimpleMeterRegistry()));

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private static <T> T join(Future<T> future) {
        return future.toCompletionStage().toCompletableFuture().join();
    }

    private HttpServer server() {
        return guarded.createHttpServer().requestHandler(request -> request.response().end("ok"));
    }

    @Test
    void aPortTakenByAnotherSocketFailsTheListenAndLeavesNothingBound() throws IOException {
        int port;
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = taken.getLocalPort();
            Future<HttpServer> refused = server().listen(port, "127.0.0.1");

            assertThat(refused.toCompletionStage().toCompletableFuture())
                    .failsWithin(PATIENCE).withThrowableOfType(ExecutionException.class)
                    .withMessageContaining("port " + port + " on 127.0.0.1 is in use")
                    .withRootCauseInstanceOf(java.net.BindException.class);
        }

        HttpServer next = join(server().listen(port, "127.0.0.1"));
        assertThat(next.actualPort()).isEqualTo(port);
        join(next.close());
    }

    /**
     * Port 0: the system picks one port, and every instance (one per event loop) listens on it; two servers asking
     * for port 0 get a port each.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void portZeroGivesEachServerOnePortAllItsInstancesListenOn() throws IOException {
        Set<String> before = listeningSockets();
        HttpServer one = join(server().listen(0, "127.0.0.1"));
        HttpServer other = join(server().listen(0, "127.0.0.1"));

        assertThat(one.actualPort()).isPositive();
        assertThat(other.actualPort()).isPositive().isNotEqualTo(one.actualPort());
        Set<String> listening = listeningSockets();
        listening.removeAll(before);
        assertThat(listening).as("one listening socket per server, shared by its instances").hasSize(2);
        join(one.close());
        join(other.close());
        assertThat(listeningSockets()).isEqualTo(before);
    }

    /** The inodes of this process's TCP sockets in the LISTEN state (Linux: /proc/net/tcp and /proc/self/fd). */
    private static Set<String> listeningSockets() throws IOException {
        Set<String> own = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        own.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException gone) {
                    // closed while listed
                }
            }
        }
        Set<String> listening = new HashSet<>();
        // Java's sockets are IPv6 ones where the system has IPv6, even bound to an IPv4 address
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                // st 0A is LISTEN; the inode is the tenth field
                if (f.length > 9 && f[3].equals("0A") && own.contains(f[9])) {
                    listening.add(f[9]);
                }
            }
        }
        return listening;
    }
}
