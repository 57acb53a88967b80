package dev.caravan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Temporary folders for what the tests start (a gateway's broker journal and file-drop folders, a crash test's
 * data), removed when the test JVM exits. Each embedded broker pre-allocates tens of megabytes of journal: left
 * behind, a few hundred runs fill the disk, and Artemis then blocks every producer once the disk is 90 % full.
 */
public final class TestFolders {

    private static final List<Path> CREATED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CREATED.forEach(TestFolders::delete),
                "caravan-test-folders"));
    }

    private TestFolders() {
    }

    /** A new empty folder in the system's temporary folder, removed at exit if not before. */
    public static Path create(String prefix) {
        try {
            Path folder = Files.createTempDirectory(prefix);
            CREATED.add(folder);
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the folder and everything in it, links as themselves; best effort, as nothing waits on it. */
    public static void delete(Path folder) {
        try {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException gone) {
            // already removed
        } catch (IOException e) {
            System.err.println("could not remove the test folder " + folder + ": " + e);
        }
    }
}
