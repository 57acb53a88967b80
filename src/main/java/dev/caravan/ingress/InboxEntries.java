package dev.caravan.ingress;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * What an inbox entry is, judged from its own attributes ({@code lstat}, never following a link), and the one
 * way its content is read. Only a regular file is read, through a channel opened without following links, and
 * never more than the size cap. Opening a pipe for reading would block until someone writes to it, so nothing
 * but a regular file is ever opened: the entry is opened without blocking and judged again by what was opened
 * ({@link NonBlockingOpen}), so one swapped for a pipe or a link between the last look and the open is refused unread;
 * and the read itself runs under a time limit (where the platform cannot open without blocking, that limit is what
 * covers a swap for a pipe nobody writes to; one with a writer opens at once, and is refused by what was opened: it
 * cannot seek).
 */
final class InboxEntries {

    /** What an entry is, for the ingress. */
    sealed interface Verdict {
        /** A regular file within the limits. */
        record Readable(long size) implements Verdict {
        }

        /** An entry that must be set aside unread, why, and the status and code its request log line carries. */
        record Refused(String reason, int status, String code) implements Verdict {
            Refused(String reason) {
                this(reason, 400, "unreadable_entry");
            }
        }

        /** Gone since the folder was listed. */
        record Gone() implements Verdict {
        }
    }

    /** Reads run on their own daemon threads: one stuck in a pipe's open can be left behind without blocking. */
    private static final ExecutorService READERS = Executors.newThreadPerTaskExecutor(
            Thread.ofPlatform().daemon().name("caravan-inbox-read-", 0).factory());

    private InboxEntries() {
    }

    /**
     * Judges an entry from its name and its own attributes.
     *
     * @param maxBytes    the size cap
     * @param onlyOneName also refuse a file with other names (hard links): checked once the read lock waited, as
     *                    a writer publishing by link-then-unlink has two names for a moment
     */
    static Verdict inspect(Path path, long maxBytes, boolean onlyOneName) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return new Verdict.Gone();
        } catch (IOException e) {
            return new Verdict.Refused("its attributes could not be read (" + e.getClass().getSimpleName() + ")");
        }
        if (attributes.isSymbolicLink()) {
            return new Verdict.Refused("it is a symbolic link; only regular files inside the inbox are read, so the "
                    + "link was moved here as it is, without following it");
        }
        if (attributes.isDirectory()) {
            return new Verdict.Refused("it is a directory, not a file");
        }
        if (!attributes.isRegularFile()) {
            return new Verdict.Refused("it is not a regular file (a pipe, socket or device); such an entry is never "
                    + "opened");
        }
        Optional<String> badName = DropNames.problem(path.getFileName().toString());
        if (badName.isPresent()) {
            return new Verdict.Refused(badName.get());
        }
        if (attributes.size() > maxBytes) {
            return tooLarge(attributes.size(), maxBytes);
        }
        if (onlyOneName) {
            int links = links(path);
            if (links > 1) {
                return new Verdict.Refused("it has " + links + " names (hard links), so it also lives outside the "
                        + "inbox; drop a copy, or write it under another name and rename it");
            }
        }
        return new Verdict.Readable(attributes.size());
    }

    static Verdict.Refused tooLarge(long size, long maxBytes) {
        return new Verdict.Refused("it is " + (size > maxBytes ? size + " bytes" : "over " + maxBytes + " bytes")
                + ", more than the " + maxBytes + " bytes a dropped file may hold (caravan.file.max-bytes)", 413,
                "request_too_large");
    }

    /**
     * The content of a regular file, at most {@code maxBytes + 1} bytes of it (so that a file grown past the cap
     * since it was judged shows as too large).
     *
     * @throws NoSuchFileException when the file is gone
     * @throws IOException         when it cannot be read, is no longer a regular file, or is not read in time
     */
    static byte[] read(Path path, long maxBytes, Duration timeout) throws IOException {
        if (!(inspect(path, maxBytes, false) instanceof Verdict.Readable)) {
            throw new IOException("it changed while being read: it is no longer a regular file within the limits");
        }
        return readWithin(path, maxBytes, timeout);
    }

    /** Opens and reads on a thread of its own, waiting at most {@code timeout}. */
    static byte[] readWithin(Path path, long maxBytes, Duration timeout) throws IOException {
        Future<byte[]> reading = READERS.submit(() -> readAtMost(path, maxBytes));
        try {
            return reading.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            reading.cancel(true);
            releaseFromPipe(path);
            throw new IOException("it was not read within " + timeout.toMillis() + " ms (caravan.file.read-timeout); "
                    + "was it swapped for a pipe while being read?");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading", e);
        }
    }

    /**
     * Frees a reader the JDK left in a pipe's open (where {@link NonBlockingOpen} is not supported), which no interrupt
     * ends and which would otherwise wait for a writer for good: an open for reading and writing never blocks on a
     * pipe and counts as its writer, so the reader's open returns, and its read ends at once when that writer closes.
     */
    private static void releaseFromPipe(Path path) {
        try {
            if (Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                Files.newByteChannel(path, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)).close();
            }
        } catch (IOException | UnsupportedOperationException e) {
            // gone, not ours to open for writing: the reader stays where it is, the entry refused all the same
        }
    }

    /** Runs between the last look at an entry and its open, given the entry: a test swaps the entry there. */
    private static volatile Consumer<Path> beforeOpen = path -> { };

    static void beforeOpen(Consumer<Path> hook) {
        beforeOpen = hook;
    }

    /** Whether entries are opened without blocking where the platform allows; off only to test the fallback. */
    private static volatile boolean nativeOpen = true;

    static void nativeOpen(boolean enabled) {
        nativeOpen = enabled;
    }

    private static byte[] readAtMost(Path path, long maxBytes) throws IOException {
        beforeOpen.accept(path);
        // opened without blocking and judged by what was opened (NonBlockingOpen) where the platform allows; else
        // as the JDK opens, judged by what was opened as far as the JDK shows it (openedAsRegular)
        try (SeekableByteChannel channel = nativeOpen && NonBlockingOpen.supported() ? NonBlockingOpen.open(path)
                : openedAsRegular(path);
                InputStream in = Channels.newInputStream(channel)) {
            return in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        }
    }

    /**
     * Opens the entry as the JDK does, where it cannot be opened without blocking: NOFOLLOW_LINKS opens with
     * O_NOFOLLOW (a link swapped in since the last look fails the open), and the time limit of readWithin covers the
     * open of a pipe nobody writes to. A pipe swapped in with a writer at its other end opens at once, and its
     * writer's bytes would be read as the entry's; the JDK shows no opened file's type, but a pipe (or socket) cannot
     * seek where a regular file can, so the opened channel's own position (lseek on its descriptor, never the path
     * again) tells them apart before a byte is read.
     */
    private static SeekableByteChannel openedAsRegular(Path path) throws IOException {
        SeekableByteChannel channel = Files.newByteChannel(path, Set.of(StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS));
        try {
            channel.position();
        } catch (IOException cannotSeek) {
            channel.close();
            throw new IOException("it became a pipe or socket before it was opened; only regular files are read");
        }
        try {
            refuseOtherNames(path, channel);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static final Path DESCRIPTORS = Path.of("/proc/self/fd");
    private static final Path DESCRIPTOR_INFO = Path.of("/proc/self/fdinfo");

    /**
     * Refuses an opened file that has other names (hard links), judged by the file the channel holds, not by the
     * entry's name: a file linked in under the name after its one-name check (and, maybe, unlinked again before a
     * second look at the name) lives outside the inbox too. The JDK shows no channel's descriptor, but Linux shows
     * each descriptor's file ({@code /proc/self/fd}, whose magic link stats the file it holds, as the native open
     * does) and offset ({@code /proc/self/fdinfo}). The descriptors whose link names the entry are few (one, but for
     * another read of the same name): the channel is moved to an offset none of them holds, and found among them by
     * it; no other descriptor's information is read. Where there is no {@code /proc}, the name's link count, read once
     * more, is all there is to go by.
     */
    private static void refuseOtherNames(Path path, SeekableByteChannel channel) throws IOException {
        if (!Files.isDirectory(DESCRIPTOR_INFO)) {
            return; // inspect() counted the names; no descriptor of the JDK's open can be stat'ed here
        }
        // the name the kernel gives an opened file: its folder's real path (a link to the inbox resolved) and name
        String named = path.toAbsolutePath().getParent().toRealPath().resolve(path.getFileName()).toString();
        // below 2^31, which every file system seeks to (FAT's files end at 4 GiB), and far past small files' offsets
        long marker = (1L << 30) + ThreadLocalRandom.current().nextLong(1L << 30);
        channel.position(marker);
        String line = "pos:\t" + marker + "\n";
        Path opened = null;
        try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(DESCRIPTORS)) {
            for (Path descriptor : descriptors) {
                try {
                    String target = Files.readSymbolicLink(descriptor).toString();
                    if ((target.equals(named) || target.equals(named + " (deleted)"))
                            && Files.readString(DESCRIPTOR_INFO.resolve(descriptor.getFileName().toString()),
                                    StandardCharsets.ISO_8859_1).contains(line)) {
                        opened = descriptor;
                        break;
                    }
                } catch (IOException closedMeanwhile) {
                    // another thread's descriptor, closed since the folder was listed
                }
            }
        }
        channel.position(0);
        if (opened == null) {
            throw new IOException("what was opened could not be told apart from the process's other files, so it "
                    + "was not read");
        }
        int links = ((Number) Files.getAttribute(opened, "unix:nlink")).intValue();
        if (links == 0) {
            throw new NoSuchFileException(path.toString()); // removed since it was opened
        }
        if (links > 1) {
            throw new IOException("it became a file of " + links + " names (hard links) before it was opened, so it "
                    + "also lives outside the inbox; drop a copy, or write it under another name and rename it");
        }
    }

    private static int links(Path path) {
        try {
            return ((Number) Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue();
        } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
            return 1; // a file system without link counts
        }
    }
}
