package dev.caravan.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for a server a test starts on a port it names (a gateway's API, management and broker ports, a replica's, a
 * Redis server's), which no other test on this machine is handed meanwhile.
 *
 * <p>A port found free by binding port 0 and closing the socket is free only until someone else binds it: the test
 * JVMs running side by side (surefire's forks, other checkouts' builds) each found the same one now and then, and a
 * gateway whose port was taken still started (platform-http logs the failed bind and goes on), so that a test asked
 * another test's gateway and read its providers. Each port handed out here is reserved machine-wide for the life of
 * the JVM, by an exclusive lock on a file named after it, which every test JVM asks for before it takes that port
 * (the operating system lets go of the lock when the JVM ends, however it ends); and the ports are taken below the
 * kernel's ephemeral range, where no socket bound to port 0 (a simulator, Redis's clients, any outgoing connection)
 * ever lands.
 */
public final class FreePorts {

    /** Below Linux's default ephemeral range (32768-60999), above the ports services commonly use. */
    private static final int FIRST = 20_000;
    private static final int LAST = 32_000;
    private static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"), "caravan-test-ports");
    /** The locks this JVM holds: kept, never released, so that no other JVM takes their ports while it runs. */
    private static final List<FileLock> HELD = new ArrayList<>();

    private FreePorts() {
    }

    /** A port no other test on this machine is handed while this JVM runs, and that nothing listens on now. */
    public static synchronized int take() {
        try {
            Files.createDirectories(LOCKS);
            int span = LAST - FIRST + 1;
            int start = ThreadLocalRandom.current().nextInt(span);
            for (int i = 0; i < span; i++) {
                int port = FIRST + (start + i) % span;
                FileLock lock = reserve(port);
                if (lock == null) {
                    continue;
                }
                if (bindable(port)) {
                    HELD.add(lock);
                    return port;
                }
                lock.release(); // in use by something that is no test of ours: left to it
                lock.channel().close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no free port left between " + FIRST + " and " + LAST);
    }

    /** The lock of {@code port}, or null when another JVM (or this one) holds it. */
    private static FileLock reserve(int port) throws IOException {
        FileChannel channel = FileChannel.open(LOCKS.resolve(port + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return lock;
            }
        } catch (OverlappingFileLockException heldHere) {
            // this JVM holds it already
        }
        channel.close();
        return null;
    }

    /** Whether a server can listen on {@code port}, on every address and on the loopback one. */
    private static boolean bindable(int port) {
        for (InetSocketAddress address : List.of(new InetSocketAddress(port),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(address);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
