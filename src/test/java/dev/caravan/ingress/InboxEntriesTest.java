package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.caravan.ingress.InboxEntries.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Entries judged and read in a real folder: links, pipes, directories and hard links are refused, unopened. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InboxEntriesTest {

    @TempDir
    Path dir;

    @Test
    void aRegularFileWithinTheCapIsReadable() throws Exception {
        Path file = Files.writeString(dir.resolve("q.txt"), "hello");

        assertThat(InboxEntries.inspect(file, 5, true)).isEqualTo(new Verdict.Readable(5));
        assertThat(InboxEntries.read(file, 5, Duration.ofSeconds(5))).asString().isEqualTo("hello");
    }

    @Test
    void aFileOverTheCapIsRefusedFromItsSize() throws Exception {
        Path file = Files.writeString(dir.resolve("q.txt"), "hello!");

        assertThat(InboxEntries.inspect(file, 5, false)).isInstanceOfSatisfying(Verdict.Refused.class,
                refused -> assertThat(refused.reason()).contains("6 bytes").contains("caravan.file.max-bytes"));
    }

    @Test
    void aReadNeverTakesMoreThanOneByteOverTheCap() throws Exception {
        Path file = Files.writeString(dir.resolve("q.txt"), "0123456789");

        assertThat(InboxEntries.readWithin(file, 4, Duration.ofSeconds(5))).hasSize(5);
    }

    @Test
    void linksAreRefusedWhereverTheyPoint() throws Exception {
        Path target = Files.writeString(dir.resolve(".real.txt"), "inside");
        Path inside = Files.createSymbolicLink(dir.resolve("inside.txt"), target);
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.txt"), dir.resolve("none"));

        assertThat(InboxEntries.inspect(inside, 100, false)).isInstanceOf(Verdict.Refused.class);
        assertThat(InboxEntries.inspect(dangling, 100, false)).isInstanceOf(Verdict.Refused.class);
        assertThatThrownBy(() -> InboxEntries.read(inside, 100, Duration.ofSeconds(5))).isInstanceOf(IOException.class);
    }

    @Test
    void aPipeIsRefusedWithoutBeingOpened() throws Exception {
        Path pipe = mkfifo(dir.resolve("pipe.txt"));

        assertThat(InboxEntries.inspect(pipe, 100, false)).isInstanceOfSatisfying(Verdict.Refused.class,
                refused -> assertThat(refused.reason()).contains("not a regular file"));
        assertThatThrownBy(() -> InboxEntries.read(pipe, 100, Duration.ofSeconds(5))).isInstanceOf(IOException.class);
    }

    @Test
    void aPipeSwappedInAfterTheLastLookDoesNotHoldTheReaderUp() throws Exception {
        Path pipe = mkfifo(dir.resolve("pipe.txt"));

        assertThatThrownBy(() -> InboxEntries.readWithin(pipe, 100, Duration.ofMillis(200)))
                .isInstanceOf(IOException.class).hasMessageContaining("not read within 200 ms");
        // a writer opening the pipe releases the reader left behind in its open (writing could meet a reader
        // already gone, interrupted by the cancel)
        Files.newOutputStream(pipe).close();
    }

    @Test
    void aDirectoryIsRefused() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("folder.json"));

        assertThat(InboxEntries.inspect(folder, 100, false)).isInstanceOfSatisfying(Verdict.Refused.class,
                refused -> assertThat(refused.reason()).contains("directory"));
    }

    @Test
    void aHardLinkedFileIsRefusedOnceTheReadLockWaited() throws Exception {
        Path elsewhere = Files.writeString(dir.resolve(".elsewhere.txt"), "elsewhere");
        Path link = Files.createLink(dir.resolve("hard.txt"), elsewhere);

        assertThat(InboxEntries.inspect(link, 100, false)).isInstanceOf(Verdict.Readable.class);
        assertThat(InboxEntries.inspect(link, 100, true)).isInstanceOfSatisfying(Verdict.Refused.class,
                refused -> assertThat(refused.reason()).contains("2 names"));
    }

    @Test
    void aBadNameIsRefusedFromTheNameAlone() throws Exception {
        Path file = Files.writeString(dir.resolve("a\nb.txt"), "hello");

        assertThat(InboxEntries.inspect(file, 100, false)).isInstanceOf(Verdict.Refused.class);
    }

    @Test
    void aVanishedFileIsGone() throws Exception {
        assertThat(InboxEntries.inspect(dir.resolve("gone.txt"), 100, true)).isInstanceOf(Verdict.Gone.class);
        assertThatThrownBy(() -> InboxEntries.readWithin(dir.resolve("gone.txt"), 100, Duration.ofSeconds(5)))
                .isInstanceOf(NoSuchFileException.class);
    }

    private static Path mkfifo(Path path) throws Exception {
        assertThat(new ProcessBuilder("mkfifo", path.toString()).start().waitFor()).isZero();
        return path;
    }
}
