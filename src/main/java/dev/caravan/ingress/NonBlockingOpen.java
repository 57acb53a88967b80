package dev.caravan.ingress;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Opens an inbox entry for reading without ever blocking, whatever the entry became since it was last looked at.
 * The JDK opens a file only blocking, and a pipe's open waits for a writer; so the entry is opened by open(2) itself
 * with O_NONBLOCK and O_NOFOLLOW, and the opened file's own type and link count (through {@code /proc/self/fd}, never
 * the path again) decide: a regular file of one name is read through a channel on that very file, anything else (a
 * pipe, a device, a file hard-linked in from elsewhere) is refused unread. Linux on
 * x86-64 and aarch64 (O_NOFOLLOW differs between them); elsewhere {@link #supported()} is false and the caller opens
 * as before.
 */
final class NonBlockingOpen {

    /** libc's open(2) and close(2). */
    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final int O_NONBLOCK = 04000;
    private static final int O_NOCTTY = 0400;
    private static final int O_CLOEXEC = 02000000;
    private static final int ENOENT = 2;
    private static final int ENXIO = 6;
    private static final int ELOOP = 40;

    private static final int FLAGS;
    private static final LibC LIBC;

    static {
        String arch = System.getProperty("os.arch", "");
        int noFollow = switch (arch) {
            case "amd64", "x86_64" -> 0400000;
            case "aarch64" -> 0100000;
            default -> 0;
        };
        LibC libc = null;
        if (noFollow != 0 && System.getProperty("os.name", "").equals("Linux")
                && Files.isDirectory(Path.of("/proc/self/fd"))) {
            try {
                libc = Native.load("c", LibC.class);
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                libc = null;
            }
        }
        FLAGS = O_NONBLOCK | O_NOCTTY | O_CLOEXEC | noFollow;
        LIBC = libc;
    }

    private NonBlockingOpen() {
    }

    static boolean supported() {
        return LIBC != null;
    }

    /**
     * A channel on the regular file at {@code path}, opened without blocking and without following a link.
     *
     * @throws NoSuchFileException when it is gone
     * @throws IOException         naming what it is, when it is no regular file (a link, a pipe, a socket, a device)
     *                             or has other names (hard links)
     */
    static SeekableByteChannel open(Path path) throws IOException {
        int fd;
        try {
            fd = LIBC.open(path.toString(), FLAGS);
        } catch (LastErrorException e) {
            throw switch (e.getErrorCode()) {
                case ENOENT -> new NoSuchFileException(path.toString());
                case ELOOP -> new IOException("it became a symbolic link before it was opened; links are never "
                        + "followed");
                case ENXIO -> new IOException("it became a socket before it was opened; only regular files are read");
                default -> new IOException("it could not be opened (error " + e.getErrorCode() + ")");
            };
        }
        try {
            // the magic link stats, and opens, the file this descriptor holds, whatever the path names by now
            Path opened = Path.of("/proc/self/fd/" + fd);
            BasicFileAttributes attributes = Files.readAttributes(opened, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new IOException("it became a pipe, socket or device before it was opened; only regular files "
                        + "are read");
            }
            // a file linked in under the entry's name after its one-name check lives outside the inbox too
            int links = ((Number) Files.getAttribute(opened, "unix:nlink")).intValue();
            if (links == 0) {
                throw new NoSuchFileException(path.toString()); // removed since it was opened
            }
            if (links > 1) {
                throw new IOException("it became a file of " + links + " names (hard links) before it was opened, so "
                        + "it also lives outside the inbox; drop a copy, or write it under another name and rename it");
            }
            return Files.newByteChannel(opened, StandardOpenOption.READ);
        } finally {
            try {
                LIBC.close(fd);
            } catch (LastErrorException e) {
                // nothing was written through it: nothing to lose
            }
        }
    }
}
