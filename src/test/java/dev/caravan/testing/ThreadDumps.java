package dev.caravan.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import com.sun.management.HotSpotDiagnosticMXBean;

/** Thread dumps that include virtual threads, which {@code Thread.getAllStackTraces} leaves out. */
public final class ThreadDumps {

    private ThreadDumps() {
    }

    /**
     * Every thread of this JVM, virtual ones included, with its stack.
     *
     * @param dir a folder the dump file may be written to (the dump refuses a file that exists)
     */
    public static String all(Path dir) throws IOException {
        Path file = Files.createTempFile(dir, "threads", ".txt");
        Files.delete(file);
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
        return Files.readString(file);
    }
}
