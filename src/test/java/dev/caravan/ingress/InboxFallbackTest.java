package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where JNA cannot load (another libc, another architecture, a JVM without native access), file drops open entries
 * as the JDK does: an entry swapped for a pipe after its check is still refused within the read's time limit, and no
 * reader is left behind in the pipe's open. Run in a JVM of its own, whose JNA is kept from its native library.
 */
class InboxFallbackTest {

    @TempDir
    Path dir;

    @Test
    void aPipeSwappedInIsRefusedWithoutJnaAndHoldsNoReader() throws Exception {
        Path log = dir.resolve("probe.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Djna.nounpack=true", "-Djna.noclasspath=true",
                "-Djna.nosys=true", "-Djna.boot.library.path=" + dir.resolve("no-jna"),
                "-cp", System.getProperty("java.class.path"), FallbackOpenProbe.class.getName(), dir.toString());
        Process probe = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // bounded only so that a probe stuck for good fails the test instead of hanging it
        assertThat(probe.waitFor(120, TimeUnit.SECONDS)).as(() -> read(log)).isTrue();

        List<String> facts = Files.readAllLines(log);
        assertThat(facts).as(facts.toString()).contains("supported=false", "readers=none");
        assertThat(facts).anySatisfy(fact -> assertThat(fact).startsWith("refused="));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
