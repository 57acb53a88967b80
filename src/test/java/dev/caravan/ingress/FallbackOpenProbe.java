package dev.caravan.ingress;

import static dev.caravan.testing.Eventually.eventually;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.awaitility.core.ConditionTimeoutException;

/**
 * Run in a JVM of its own where JNA cannot load (InboxFallbackTest): an entry swapped for a pipe between the last
 * look and the open, read as the file drops read it; prints what came of it, one fact a line.
 */
final class FallbackOpenProbe {

    private FallbackOpenProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        System.out.println("supported=" + NonBlockingOpen.supported());
        Path file = Files.writeString(dir.resolve("swapped.json"), "{}");
        InboxEntries.beforeOpen(entry -> {
            try {
                Files.delete(file);
                if (new ProcessBuilder("mkfifo", file.toString()).start().waitFor() != 0) {
                    throw new IllegalStateException("mkfifo failed");
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            byte[] read = InboxEntries.read(file, 100, Duration.ofSeconds(1));
            System.out.println("read=" + read.length);
        } catch (IOException e) {
            System.out.println("refused=" + e.getMessage());
        }
        try {
            eventually().until(FallbackOpenProbe::noReader);
            System.out.println("readers=none");
        } catch (ConditionTimeoutException e) {
            System.out.println("readers=left");
        }
    }

    private static boolean noReader() {
        return Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("caravan-inbox-read-"));
    }
}
