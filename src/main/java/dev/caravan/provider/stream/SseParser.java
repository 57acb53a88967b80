package dev.caravan.provider.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Server-sent events parsed from text as it is fed, piece by piece, following the parsing rules of the HTML Living
 * Standard (event stream interpretation): lines end with LF, CRLF or CR; a blank line dispatches; {@code data:} lines
 * accumulate; one optional space after the colon is dropped; comment lines are ignored, unless kept for a relay that
 * passes the stream on as the provider sent it ({@link SseEvent#others()}).
 *
 * <p>Fed bytes ({@link #feed(ByteBuffer)}) as they arrive on an event loop, it holds nothing but the line and event
 * being read; {@link SseReader} feeds it characters read from a stream. A line or event may be split anywhere
 * across pieces, a UTF-8 sequence too.
 */
public final class SseParser {

    /** The most characters decoded at a time from a piece of the body. */
    private static final int MAX_DECODED = 8192;

    private final int maxEventChars;
    private final boolean keepOthers;
    /** Told of each comment line as it is read: a keep-alive, a sign the provider is there. */
    private final Runnable onComment;
    private final Consumer<SseEvent> onEvent;
    private CharsetDecoder utf8;
    /** The start of a UTF-8 sequence whose rest is in the next piece. */
    private ByteBuffer split;
    /** The line read so far, when a piece ended inside it. */
    private StringBuilder line;
    /** A CR ended the last line: an LF right after it belongs to the same line end. */
    private boolean skipLf;
    private boolean started;
    private int eventChars;
    private String event;
    private StringBuilder data;
    private StringBuilder others;
    private boolean any;

    /**
     * @param maxEventChars the longest event (its lines together) read before the stream counts as broken
     * @param keepOthers    keep comments, {@code id:} and {@code retry:} lines with the event they come in, and give a
     *                      block of them alone as an event without data
     * @param onComment     run for each comment line as it is read, kept or not (a keep-alive between events)
     * @param onEvent       given each complete event, in order
     */
    public SseParser(int maxEventChars, boolean keepOthers, Runnable onComment, Consumer<SseEvent> onEvent) {
        this.maxEventChars = maxEventChars;
        this.keepOthers = keepOthers;
        this.onComment = onComment;
        this.onEvent = onEvent;
    }

    /**
     * Parses the next piece of the body, UTF-8 encoded, and hands on the events it completes.
     *
     * @throws IOException when an event grows past the limit
     */
    public void feed(ByteBuffer bytes) throws IOException {
        if (utf8 == null) {
            // malformed input replaced, as InputStreamReader does
            utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE);
        }
        ByteBuffer in = bytes;
        if (split != null) {
            in = ByteBuffer.allocate(split.remaining() + bytes.remaining()).put(split).put(bytes).flip();
            split = null;
        }
        // no more characters than bytes: one pass for a piece up to the cap; not kept, so that an open stream holds
        // no buffer between pieces
        CharBuffer decoded = CharBuffer.allocate(Math.min(in.remaining() + 1, MAX_DECODED));
        while (true) {
            boolean more = utf8.decode(in, decoded, false).isOverflow();
            decoded.flip();
            feed(decoded.array(), 0, decoded.limit());
            decoded.clear();
            if (!more) {
                break;
            }
        }
        if (in.hasRemaining()) {
            split = ByteBuffer.allocate(in.remaining()).put(in).flip();
        }
    }

    /**
     * Parses the next piece of the body's text and hands on the events it completes.
     *
     * @throws IOException when an event grows past the limit
     */
    public void feed(char[] chars, int offset, int length) throws IOException {
        int position = offset;
        int limit = offset + length;
        while (position < limit) {
            if (skipLf) {
                skipLf = false;
                if (chars[position] == '\n') {
                    position++;
                    continue;
                }
            }
            int start = position;
            while (position < limit && chars[position] != '\n' && chars[position] != '\r') {
                position++;
            }
            int read = position - start;
            eventChars += read;
            if (eventChars > maxEventChars) {
                throw new IOException("an event of the stream is longer than " + maxEventChars + " characters");
            }
            if (position == limit) {
                if (line == null) {
                    line = new StringBuilder(Math.max(80, read * 2));
                }
                line.append(chars, start, read);
                return;
            }
            skipLf = chars[position] == '\r';
            position++;
            String whole;
            if (line == null) {
                whole = new String(chars, start, read);
            } else {
                whole = line.append(chars, start, read).toString();
                line = null;
            }
            line(whole);
        }
    }

    /**
     * The body ended: a line it ended in is read, and an event not terminated by a blank line is discarded, as the
     * standard says.
     */
    public void end() throws IOException {
        if (utf8 != null && split != null) {
            ByteBuffer rest = split;
            split = null;
            CharBuffer decoded = CharBuffer.allocate(8);
            utf8.decode(rest, decoded, true);
            decoded.flip();
            feed(decoded.array(), 0, decoded.limit());
            decoded.clear();
        }
        if (line != null) {
            String last = line.toString();
            line = null;
            line(last);
        }
    }

    private void line(String text) {
        if (!started) {
            started = true;
            // the standard drops one byte order mark at the start of the stream; left in, it would hide the field
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
        }
        if (text.isEmpty()) {
            SseEvent complete = null;
            if (any && data != null) {
                complete = new SseEvent(event, data.toString(), others == null ? null : others.toString());
            } else if (others != null) {
                complete = new SseEvent(null, null, others.toString());
            }
            event = null;
            data = null;
            others = null;
            any = false;
            eventChars = 0;
            if (complete != null) {
                onEvent.accept(complete);
            }
            return;
        }
        if (text.charAt(0) == ':') {
            onComment.run();
            if (keepOthers) {
                others = (others == null ? new StringBuilder() : others).append(text).append('\n');
            }
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
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
                    others = (others == null ? new StringBuilder() : others).append(text).append('\n');
                }
            }
        }
    }
}
