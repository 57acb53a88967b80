package dev.caravan.provider.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * Reads server-sent events from a response body as they arrive, following the parsing rules of the HTML
 * Living Standard (event stream interpretation): lines end with LF, CRLF or CR; a blank line dispatches;
 * {@code data:} lines accumulate; one optional space after the colon is dropped; comment lines are ignored, unless
 * the reader keeps them for a relay that passes the stream on as the provider sent it ({@link SseEvent#others()}).
 *
 * <p>Written here because the Java SSE libraries are HTTP clients of their own; Caravan needs only the parser
 * ({@link SseParser}) on top of the connection it already manages.
 */
public final class SseReader {

    /** The longest event read when no limit is given. */
    public static final int DEFAULT_MAX_EVENT_CHARS = 32 * 1024 * 1024;

    private final InputStreamReader in;
    private final SseParser parser;
    private final ArrayDeque<SseEvent> parsed = new ArrayDeque<>();
    private final char[] buffer = new char[1024];
    private boolean ended;
    /** A failure met while parsing ahead: thrown once the events before it were returned. */
    private IOException failed;

    public SseReader(InputStream body) {
        this(body, DEFAULT_MAX_EVENT_CHARS);
    }

    /** @param maxEventChars the longest event (its lines together) read before the stream counts as broken */
    public SseReader(InputStream body, int maxEventChars) {
        this(body, maxEventChars, false);
    }

    /**
     * @param keepOthers keep comments, {@code id:} and {@code retry:} lines with the event they come in, and return a
     *                   block of them alone as an event without data: a relay passes them on (a comment keeps a
     *                   client's idle timer from firing)
     */
    public SseReader(InputStream body, int maxEventChars, boolean keepOthers) {
        this(body, maxEventChars, keepOthers, () -> { });
    }

    /** @param onComment run for each comment line as it is read, kept or not (a keep-alive between events) */
    public SseReader(InputStream body, int maxEventChars, boolean keepOthers, Runnable onComment) {
        this.in = new InputStreamReader(body, StandardCharsets.UTF_8);
        this.parser = new SseParser(maxEventChars, keepOthers, onComment, parsed::add);
    }

    /**
     * The next complete event; blocks until one arrives. Null at the end of the body: an event not terminated by
     * a blank line when the body ends is discarded, as the standard says.
     *
     * @throws IOException when the connection breaks (a cut stream) or the read times out (a stall)
     */
    public SseEvent next() throws IOException {
        while (parsed.isEmpty()) {
            if (failed != null) {
                throw failed;
            }
            if (ended) {
                return null;
            }
            try {
                int n = in.read(buffer, 0, buffer.length);
                if (n <= 0) {
                    ended = true;
                    parser.end();
                } else {
                    parser.feed(buffer, 0, n);
                }
            } catch (IOException e) {
                failed = e;
            }
        }
        return parsed.poll();
    }
}
