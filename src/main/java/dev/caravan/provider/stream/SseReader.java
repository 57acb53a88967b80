package dev.caravan.provider.stream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads server-sent events from a response body as they arrive, following the parsing rules of the HTML
 * Living Standard (event stream interpretation): lines end with LF, CRLF or CR; a blank line dispatches;
 * {@code data:} lines accumulate; one optional space after the colon is dropped; comment lines are ignored.
 *
 * <p>Written here because the Java SSE libraries are HTTP clients of their own; Caravan needs only the parser
 * on top of the connection camel-http already manages.
 */
public final class SseReader {

    private final BufferedReader lines;
    private boolean started;

    public SseReader(InputStream body) {
        this.lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1024);
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
        boolean any = false;
        String line;
        while ((line = lines.readLine()) != null) {
            if (!started) {
                started = true;
                // the standard drops one byte order mark at the start of the stream; left in, it would hide the field
                if (line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
            }
            if (line.isEmpty()) {
                if (any && data != null) {
                    return new SseEvent(event, data.toString());
                }
                event = null;
                data = null;
                any = false;
                continue;
            }
            if (line.charAt(0) == ':') {
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
                    // id and retry matter to browsers reconnecting, not to a single upstream call
                }
            }
        }
        return null;
    }
}
