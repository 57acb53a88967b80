package dev.caravan.ingress;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.caravan.ingress.InboxEntries.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Entries judged and read in a real folder: links, pipes, directories and hard links are refused, unread. */
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
    void aPipeSwappedInBetweenTheLastLookAndTheOpenIsRefusedAndHoldsNoReader() throws Exception {
        Path file = Files.writeString(dir.resolve("swapped.json"), "{}");
        InboxEntries.beforeOpen(entry -> {
            try {
                Files.delete(file);
                mkfifo(file);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            assertThatThrownBy(() -> InboxEntries.read(file, 100, Duration.ofSeconds(2)))
                    .isInstanceOf(IOException.class).hasMessageContaining("became a pipe");
        } finally {
            InboxEntries.beforeOpen(entry -> { });
        }
        // no reader left behind in the pipe's open, waiting for a writer that never comes
        eventually().until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("caravan-inbox-read-")));
    }

    @Test
    void aLinkSwappedInBetweenTheLastLookAndTheOpenIsNotFollowed() throws Exception {
        Path outside = Files.writeString(Files.createTempFile("outside-", ".json"), "{\"secret\":1}");
        Path file = Files.writeString(dir.resolve("linked.json"), "{}");
        InboxEntries.beforeOpen(entry -> {
            try {
                Files.delete(file);
                Files.createSymbolicLink(file, outside);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            assertThatThrownBy(() -> InboxEntries.read(file, 100, Duration.ofSeconds(2)))
                    .isInstanceOf(IOException.class);
        } finally {
            InboxEntries.beforeOpen(entry -> { });
            Files.delete(outside);
        }
    }

    /**
     * Without the native open, the opened file is found by the name the kernel gives it: through an inbox reached by a
     * link to its folder too, and while the process holds many other files open.
     */
    @Test
    void aFileOfOneNameIsReadWithoutTheNativeOpenThroughALinkedInbox() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path linked = Files.createSymbolicLink(dir.resolve("linked"), real);
        Path file = Files.writeString(linked.resolve("one.json"), "{\"one\":1}");
        List<java.nio.channels.FileChannel> others = new java.util.ArrayList<>();
        InboxEntries.nativeOpen(false);
        try {
            for (int i = 0; i < 200; i++) {
                others.add(java.nio.channels.FileChannel.open(file));
            }
            assertThat(InboxEntries.read(file, 100, Duration.ofSeconds(2))).asString().isEqualTo("{\"one\":1}");
        } finally {
            InboxEntries.nativeOpen(true);
            for (java.nio.channels.FileChannel other : others) {
                other.close();
            }
        }
    }

    /** With the native open, and without it (as where JNA cannot load): the file opened is judged, not its name. */
    @ParameterizedTest(name = "native open: {0}")
    @ValueSource(booleans = {true, false})
    void aHardLinkSwappedInBetweenTheLastLookAndTheOpenIsRefusedUnread(boolean nativeOpen) throws Exception {
        Path outside = Files.writeString(Files.createTempFile("outside-", ".json"), "{\"secret\":1}");
        Path file = Files.writeString(dir.resolve("hard.json"), "{}");
        assertThat(InboxEntries.inspect(file, 100, true)).isInstanceOf(Verdict.Readable.class);
        InboxEntries.nativeOpen(nativeOpen);
        try {
            // the file of one name is read either way
            assertThat(InboxEntries.read(file, 100, Duration.ofSeconds(2))).asString().isEqualTo("{}");
            InboxEntries.beforeOpen(entry -> {
                try {
                    Files.delete(file);
                    Files.createLink(file, outside);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThatThrownBy(() -> InboxEntries.read(file, 100, Duration.ofSeconds(2)))
                    .isInstanceOf(IOException.class).hasMessageContaining("2 names (hard links)");
        } finally {
            InboxEntries.beforeOpen(entry -> { });
            InboxEntries.nativeOpen(true);
            Files.delete(outside);
        }
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
