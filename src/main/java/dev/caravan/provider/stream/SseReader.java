package dev.caravan.provider.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads server-sent events from a response body as they arrive, following the parsing rules of the HTML
 * Living Standard (event stream interpretation): lines end with LF, CRLF or CR; a blank line dispatches;
 * {@code data:} lines accumulate; one optional space after the colon is dropped; comment lines are ignored, unless
 * the reader keeps them for a relay that passes the stream on as the provider sent it ({@link SseEvent#others()}).
 *
 * <p>Written here because the Java SSE libraries are HTTP clients of their own; Caravan needs only the parser
 * on top of the connection camel-http already manages.
 */
public final class SseReader {

    /** The longest event read when no limit is given. */
    public static final int DEFAULT_MAX_EVENT_CHARS = 32 * 1024 * 1024;

    private final InputStreamReader in;
    private final int maxEventChars;
    private final boolean keepOthers;
    /** Told of each comment line as it is read: a keep-alive, a sign the provider is there. */
    private final Runnable onComment;
    private final char[] buffer = new char[1024];
    private int position;
    private int limit;
    /** A CR ended the last line: an LF right after it belongs to the same line end. */
    private boolean skipLf;
    private boolean started;
    private int eventChars;

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
        this.maxEventChars = maxEventChars;
        this.keepOthers = keepOthers;
        this.onComment = onComment;
    }

    /**
     * The next complete event; blocks until one arrives. Null at the end of the body: an event not terminated by
     * a blank line when the body ends is discarded, as the standard says.
     *
     * @throws IOException when the connection breaks (a cut stream) or the read times out (a stall)
     */
    public SseEvent next() throws IOException {
        String event = null;
        StringBuilder data = null;
        StringBuilder others = null;
        boolean any = false;
        String line;
        eventChars = 0;
        while ((line = readLine()) != null) {
            if (!started) {
                started = true;
                // the standard drops one byte order mark at the start of the stream; left in, it would hide the field
                if (line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
            }
            if (line.isEmpty()) {
                if (any && data != null) {
                    return new SseEvent(event, data.toString(), others == null ? null : others.toString());
                }
                if (others != null) {
                    return new SseEvent(null, null, others.toString());
                }
                event = null;
                data = null;
                any = false;
                eventChars = 0;
                continue;
            }
            if (line.charAt(0) == ':') {
                onComment.run();
                if (keepOthers) {
                    others = (others == null ? new StringBuilder() : others).append(line).append('\n');
                }
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "data" -> {
                    if (data == null) {
                        data = new StringBuilder(value);
                    } else {
                        data.append('\n').append(value);
                    }
                    any = true;
                }
                case "event" -> {
                    event = value;
                    any = true;
                }
                default -> {
                    // id and retry matter to browsers reconnecting, not to a single upstream call; a relay keeps them
                    if (keepOthers) {
                        others = (others == null ? new StringBuilder() : others).append(line).append('\n');
                    }
                }
            }
        }
        return null;
    }

    /**
     * The next line without its end (LF, CRLF or CR), or null at the end of the body. Unlike a BufferedReader's,
     * it gives up on an event that grows past the limit: a provider that never ends a line cannot fill the heap.
     */
    private String readLine() throws IOException {
        StringBuilder line = null;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer, 0, buffer.length);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return line == null ? null : line.toString();
                }
            }
            if (skipLf) {
                skipLf = false;
                if (buffer[position] == '\n') {
                    position++;
                    continue;
                }
            }
            int start = position;
            while (position < limit && buffer[position] != '\n' && buffer[position] != '\r') {
                position++;
            }
            int length = position - start;
            eventChars += length;
            if (eventChars > maxEventChars) {
                throw new IOException("an event of the stream is longer than " + maxEventChars + " characters");
            }
            if (position < limit) {
                skipLf = buffer[position] == '\r';
                position++;
                if (line == null) {
                    return new String(buffer, start, length);
                }
                return line.append(buffer, start, length).toString();
            }
            if (line == null) {
                line = new StringBuilder(Math.max(80, length * 2));
            }
            line.append(buffer, start, length);
        }
    }
}
