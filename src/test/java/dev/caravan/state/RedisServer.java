package dev.caravan.state;

import static dev.caravan.testing.Eventually.eventually;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import dev.caravan.testing.FreePorts;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Redis for a test class: Debian's {@code redis-server} (which {@code .ci/run} installs when missing),
 * started on a free loopback port in a folder of its own, with nothing persisted, and stopped after the class.
 * A test can kill it and start it again, empty, on the same port.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisServer redis = RedisServer.create();
 * }</pre>
 */
public final class RedisServer implements BeforeAllCallback, AfterAllCallback {

    /**
     * The command timeout of a client of a server that stays up through its test: far beyond what any exchange takes
     * on a loaded machine, so that it only bounds a hang and never turns a slow answer into a lost store. A test
     * that stalls the server to see the loss ({@link #pause}) sets a limit of its own.
     */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    /** The password of the trust store a TLS server's clients get. */
    public static final String TRUST_STORE_PASSWORD = "caravan-test";

    private final List<String> extra;
    private final boolean tls;
    private Path dir;
    private int port;
    private Process process;

    private RedisServer(List<String> extra, boolean tls) {
        this.extra = List.copyOf(extra);
        this.tls = tls;
    }

    public static RedisServer create(String... extraArguments) {
        return new RedisServer(List.of(extraArguments), false);
    }

    /**
     * A server that speaks TLS only, with a certificate for 127.0.0.1 and localhost signed by an authority made for
     * it (openssl), which {@link #trustStore()} trusts.
     */
    public static RedisServer tls() {
        return new RedisServer(List.of(), true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("caravan-redis-");
        port = FreePorts.take(); // reserved until the JVM ends: a restarted server gets its port back
        if (tls) {
            TestCertificates.issue(dir, TRUST_STORE_PASSWORD);
        }
        start();
    }

    /** A TLS server's trust store (PKCS12, {@link #TRUST_STORE_PASSWORD}): its certificate authority. */
    public Path trustStore() {
        return dir.resolve(TestCertificates.TRUST_STORE);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Starts the server (again, empty) on its port, once it answers PING. */
    public void start() throws IOException {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", tls ? "0" : Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        if (tls) {
            command.addAll(List.of("--tls-port", Integer.toString(port),
                    "--tls-cert-file", dir.resolve(TestCertificates.SERVER_CERT).toString(),
                    "--tls-key-file", dir.resolve(TestCertificates.SERVER_KEY).toString(),
                    "--tls-ca-cert-file", dir.resolve(TestCertificates.CA_CERT).toString(),
                    "--tls-auth-clients", "no"));
        }
        command.addAll(extra);
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is not installed: apt-get install redis-server "
                    + "(bash .ci/run installs it)", e);
        }
        eventually("redis-server on port " + port).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("redis-server died at start: "
                                + Files.readString(dir.resolve("redis.log")));
                    }
                    // a TLS port does not answer a plain PING: the server says when it is ready
                    return tls ? Files.readString(dir.resolve("redis.log")).contains("Ready to accept connections")
                            : answers();
                });
    }

    /** Kills the server at once, as a crash or a lost network would. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops the server without killing it, as a stalled host or a cut network would: it keeps its data. */
    public void pause() {
        signal("STOP");
    }

    /** Lets a paused server carry on, with everything it had. */
    public void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        if (process == null || !process.isAlive()) {
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    private boolean answers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[64];
            int n = in.read(reply);
            // "+PONG", or "-NOAUTH" from a server that wants a password: either way it is up
            return n > 0 && (reply[0] == '+' || reply[0] == '-');
        } catch (IOException e) {
            return false;
        }
    }
}
