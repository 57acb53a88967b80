package dev.caravan.provider;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.chat.JsonBufferPool;

/**
 * Removes secrets from what came from a provider before it is logged or returned: error messages, and the
 * answers themselves, which a provider may echo a key into (in a field Caravan passes on, or in text).
 *
 * <p>A configured key is removed wherever it appears, and so is any piece of one at least {@value #FRAGMENT}
 * characters long (of keys at least twice that long), so a key cut in two, or echoed in part, is gone too. Error messages lose, besides, anything
 * shaped like a common provider key, since providers echo masked keys ("Incorrect API key provided:
 * sk-abc***xyz"); answers do not, since a model may legitimately write such text.
 */
public final class SecretRedactor {

    private static final Pattern KEY_SHAPES = Pattern.compile(
            "(?<![A-Za-z0-9_-])(sk-ant-|sk-proj-|sk-|gsk_|xai-|AIza)[A-Za-z0-9_\\-*.]{4,}");
    private static final int MAX_LENGTH = 600;
    private static final String REDACTED = "[redacted]";
    /** The shortest piece of a key that counts as the key: shorter runs are too common to blank. */
    static final int FRAGMENT = 10;
    /**
     * Any faithful JSON mapping serves. Its buffers come from {@link JsonBufferPool}: it writes every translated answer
     * read whole once (to look for keys), on an event loop or a virtual thread.
     */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .recyclerPool(JsonBufferPool.get()).build());

    /** The keys a stream holds back where its text may begin one (a provider's), longest first. */
    private final List<String> keys;
    /** For each of {@link #keys}, the shortest beginning of it that a stream holds back (see {@link StreamText}). */
    private final int[] heldFrom;
    private final Matcher text;
    /** The keys as they appear in UTF-8 JSON, each byte as one ISO-8859-1 character. */
    private final Matcher bytes;

    public SecretRedactor(List<String> secrets) {
        this(secrets, List.of());
    }

    /**
     * @param providerKeys keys a provider is called with: a stream's text is held back where it may begin one, since
     *                     a provider may write one cut across two events
     * @param others       other secrets (clients' keys): a provider never sees one (they are stripped before the
     *                     call), so they are removed where found whole, and text that may begin one passes at once
     */
    public SecretRedactor(List<String> providerKeys, List<String> others) {
        List<String> kept = java.util.stream.Stream.concat(providerKeys.stream(), others.stream())
                .filter(s -> s.length() >= 4).distinct()
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
        this.keys = kept.stream().filter(providerKeys::contains).toList();
        this.heldFrom = keys.stream().mapToInt(SecretRedactor::heldFrom).toArray();
        this.text = new Matcher(kept);
        this.bytes = new Matcher(kept.stream().map(s -> new String(
                JsonStringEncoder.getInstance().quoteAsUTF8(s), StandardCharsets.ISO_8859_1)).toList());
    }

    /** An error message without keys, key-shaped text, or more than {@value #MAX_LENGTH} characters. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = scrub(text);
        out = KEY_SHAPES.matcher(out).replaceAll(REDACTED);
        return out.length() > MAX_LENGTH ? out.substring(0, MAX_LENGTH) + "..." : out;
    }

    /** {@code text} without anything shaped like a common provider key; the same instance when it held none. */
    public static String withoutKeyShapes(String text) {
        if (text == null) {
            return null;
        }
        java.util.regex.Matcher shapes = KEY_SHAPES.matcher(text);
        return shapes.find() ? shapes.replaceAll(REDACTED) : text;
    }

    public ProviderFailure redact(ProviderFailure failure) {
        String clean = redact(failure.getMessage());
        if (Objects.equals(clean, failure.getMessage())) {
            return failure;
        }
        return new ProviderFailure(failure.failureClass(), failure.status(), clean, failure.retryAfter().orElse(null));
    }

    /** {@code text} without configured keys or pieces of them; the same instance when it held none. */
    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        List<int[]> found = this.text.find(text, false);
        if (found.isEmpty()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        for (int[] span : found) {
            out.append(text, copied, span[0]).append(REDACTED);
            copied = span[1];
        }
        return out.append(text, copied, text.length()).toString();
    }

    /**
     * One text of a streamed answer (a choice's message, refusal, reasoning or a tool call's arguments), scrubbed as it
     * passes event by event, with a key cut across two events removed whole: see {@link StreamText}. One per stream,
     * choice and field ({@code StreamTexts}).
     */
    public StreamText streamText() {
        return new StreamText();
    }

    /**
     * The longest end of {@code text[from, length)} that begins a key (and is shorter than it): its length, with bit 32
     * set when it is long enough to hold back ({@link #heldFrom}). Each key's last characters are compared with the
     * text's, so this costs a few comparisons per key for nearly any text.
     */
    long keyBeginningAtEnd(CharSequence text, int from) {
        int n = text.length();
        int best = n;
        boolean hold = false;
        for (int k = 0; k < keys.size(); k++) {
            String key = keys.get(k);
            char head = key.charAt(0);
            for (int at = Math.max(from, n - key.length() + 1); at <= best && at < n; at++) {
                if (text.charAt(at) == head && Matcher.regionMatches(text, at, key, 0, n - at)) {
                    hold = at < best ? n - at >= heldFrom[k] : hold || n - at >= heldFrom[k];
                    best = at;
                    break;
                }
            }
        }
        return n - best | (hold ? 1L << 32 : 0);
    }

    /**
     * The shortest beginning of {@code key} worth holding back: any, for a key looked for whole (its rest alone is not
     * found); for a key looked for in pieces, one of {@value #FRAGMENT} characters, since a shorter beginning is no
     * piece, and the rest after it, long and random, is found by itself. So a stream of ordinary text is held back only
     * where it ends with the start of a key of words, or with ten characters of a generated key ("sk-proj-Yh").
     */
    private static int heldFrom(String key) {
        if (!Matcher.inPieces(key)) {
            return 1;
        }
        // the rest after every beginning released must hold a random window of its own
        int lastRandom = 0;
        for (int at = 0; at + FRAGMENT <= key.length(); at++) {
            if (Matcher.random(key, at, FRAGMENT)) {
                lastRandom = at;
            }
        }
        return Math.max(1, Math.min(FRAGMENT, lastRandom + 1));
    }

    /**
     * A streamed answer's text as it passes, event by event. An event's text is scrubbed like any other, but a key cut
     * across two events is two texts that each look harmless: its first part ends one event and its rest begins the
     * next (and a key of words has no part that looks like a key at all). So the end of each event's text that may
     * begin a key is held back, and passes at the front of the next event's text, where a key completed is found
     * whole; text that cannot begin a key passes at once. What is held is never longer than the longest key. The
     * standard overlap of a stream search, as for stop sequences.
     *
     * <p>A generated key's first few characters (fewer than {@value #FRAGMENT}: mostly its public prefix, "sk-proj-")
     * are not held back, so that ordinary text ending with an "s" passes at once; they are remembered, and the key's
     * rest is removed when it follows, and held back from where the beginning grows into a piece.
     *
     * <p>When the text ends (the answer's end, or something else than text comes: a finish, a tool call), what is held
     * is {@linkplain #release() released}: the beginning of a key that nothing completed, blanked when it is at least
     * {@value #FRAGMENT} characters long; and the rest of the key, should text begin with it after all, is removed too.
     */
    public final class StreamText {

        /** The end of the text that may begin a key, not sent yet. */
        private String held = "";
        /** The end of the text sent that may begin a key (held's beginning, when it began before held). */
        private String released = "";

        private StreamText() {
        }

        /**
         * What of {@code text}, the next piece of the answer's text, the client may have now: the text held before and
         * this one, less keys, less the end that may begin one; the same instance when that is all of {@code text}.
         */
        public String pass(String text) {
            if (held.isEmpty() && !released.isEmpty() && !continues(released, text)) {
                released = ""; // the text does not go on with a key: settled as any text, without copies
            }
            if (held.isEmpty() && released.isEmpty()) {
                long beginning = keyBeginningAtEnd(text, 0);
                if (beginning == 0 && !SecretRedactor.this.text.mayHold(text)) {
                    return text; // nearly every piece of every stream
                }
                return cut(text, 0, SecretRedactor.this.text.find(text, false), beginning);
            }
            String joined = released + held + text;
            String out = cut(joined, released.length(), SecretRedactor.this.text.find(joined, false),
                    keyBeginningAtEnd(joined, 0));
            return out.equals(text) ? text : out;
        }

        /**
         * {@code joined[sent, ...)} without the keys found, less the end that begins a key when it is long enough to
         * hold back, which is held.
         */
        private String cut(String joined, int sent, List<int[]> found, long beginning) {
            int n = joined.length();
            int begins = n - (int) beginning;
            boolean hold = beginning >>> 32 != 0;
            int from = hold ? Math.max(begins, sent) : n;
            for (int[] span : found) {
                // a key found whole across where the held end would begin goes now, what may begin one is after it;
                // a piece within the beginning held (begun in what was sent) stays held, to grow into the key
                if (span[0] < from && span[1] > from && !(span[0] >= begins && span[1] == n)) {
                    long after = keyBeginningAtEnd(joined, span[1]);
                    begins = n - (int) after;
                    from = after >>> 32 != 0 ? begins : n;
                }
            }
            held = joined.substring(from);
            released = joined.substring(Math.min(begins, from), from);
            if (found.isEmpty() && sent == 0 && from == n) {
                return joined;
            }
            StringBuilder out = new StringBuilder(from - sent + REDACTED.length());
            int copied = sent;
            for (int[] span : found) {
                if (span[1] > from) {
                    continue; // held, to be looked at again with what follows
                }
                if (span[1] <= sent) {
                    continue; // in what was sent before
                }
                out.append(joined, copied, Math.max(copied, span[0])).append(REDACTED);
                copied = Math.max(copied, span[1]);
            }
            return out.append(joined, copied, from).toString();
        }

        /**
         * What is held, let pass because the text ended here: the beginning of a key that nothing completed, blanked
         * when at least {@value #FRAGMENT} characters long; empty when nothing is held.
         */
        public String release() {
            String out = released.length() + held.length() >= FRAGMENT && !held.isEmpty() ? REDACTED : held;
            released = released + held;
            held = "";
            return out;
        }

        /**
         * The text goes on after {@code sent}, which the client has already, from another stream (a resumed answer's
         * continuation after the attempt that broke): a key whose beginning ends {@code sent} and whose rest begins
         * this text is found whole, as if one stream had carried both.
         */
        public void follows(String sent) {
            if (held.isEmpty() && released.isEmpty()) {
                released = sent.substring(sent.length() - (int) keyBeginningAtEnd(sent, 0));
            }
        }

        /** Whether {@code text} goes on with a key that some end of {@code sent} begins. */
        private boolean continues(String sent, String text) {
            if (text.isEmpty()) {
                return true;
            }
            char next = text.charAt(0);
            for (int from = 0; from < sent.length(); from++) {
                int length = sent.length() - from;
                for (String key : keys) {
                    if (key.length() > length && key.charAt(length) == next
                            && key.regionMatches(0, sent, from, length)) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** Whether some text is held. */
        public boolean holding() {
            return !held.isEmpty();
        }
    }

    /**
     * JSON text (a streamed event's data, relayed as it came) without keys or pieces of them, as written or spelt with
     * the escapes JSON reads as their characters; the same instance when it held none. Text that is not JSON loses
     * what {@link #scrub(String)} removes.
     */
    public String scrubJson(String json) {
        // the escapes are read in what the plain scan left: a key written plainly does not vouch for the rest of the
        // event (the same key escaped again, another key escaped, or the other half of one cut), and [redacted] keeps
        // the JSON as valid as it was
        String out = scrub(json);
        if (out.indexOf('\\') < 0 || !out.contains("\\u") && !out.contains("\\/")) {
            return out;
        }
        try {
            JsonNode tree = JSON.readTree(out);
            if (text.find(JSON.writeValueAsString(tree), true).isEmpty()) {
                return out;
            }
            return JSON.writeValueAsString(scrub(tree));
        } catch (IOException e) {
            return out;
        }
    }

    /**
     * Whether UTF-8 JSON text holds a configured key or a piece of one, as written or spelt with the escapes JSON
     * reads as its characters (a backslash and {@code u} with four hex digits, or a backslash before a slash).
     */
    public boolean leaks(byte[] utf8Json) {
        return utf8Json != null && (leaks(utf8Json, utf8Json.length)
                || spelledOtherwise(utf8Json) && leaksOnceRead(utf8Json));
    }

    /** Whether the JSON holds a key once read, as Jackson writes strings (plainly); false for what is not JSON. */
    private boolean leaksOnceRead(byte[] utf8Json) {
        try {
            byte[] plain = JSON.writeValueAsBytes(JSON.readTree(utf8Json));
            return leaks(plain, plain.length);
        } catch (IOException e) {
            return false;
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final long BACKSLASHES = 0x5c5c5c5c5c5c5c5cL;

    /**
     * Whether the bytes hold an escape that may spell a key's character another way than it is: a backslash
     * before {@code u} or {@code /}. Eight bytes at a time (a backslash among them shows as a zero byte of their XOR
     * with backslashes): every answer is looked at so.
     */
    static boolean spelledOtherwise(byte[] json) {
        int at = 0;
        for (; at + Long.BYTES <= json.length; at += Long.BYTES) {
            long x = (long) LONGS.get(json, at) ^ BACKSLASHES;
            if (((x - 0x0101010101010101L) & ~x & 0x8080808080808080L) != 0 && escapeIn(json, at, at + Long.BYTES)) {
                return true;
            }
        }
        return escapeIn(json, at, json.length);
    }

    private static boolean escapeIn(byte[] json, int from, int to) {
        for (int i = from; i < to; i++) {
            if (json[i] == '\\' && i + 1 < json.length && (json[i + 1] == 'u' || json[i + 1] == '/')) {
                return true;
            }
        }
        return false;
    }

    /** The first {@code length} bytes read in place, each as one ISO-8859-1 character: no string copy of an answer. */
    private boolean leaks(byte[] utf8Json, int length) {
        return bytes.holds(utf8Json, length);
    }

    /**
     * UTF-8 JSON with every key removed from its strings and field names; the same array when it held none.
     * Jackson writes a key's characters as they are (it escapes only quotes, backslashes and control
     * characters), so one scan of the bytes settles the common case; only JSON that holds a key is rebuilt.
     */
    public byte[] scrub(byte[] utf8Json) {
        if (!leaks(utf8Json)) {
            return utf8Json;
        }
        try {
            return JSON.writeValueAsBytes(scrub(JSON.readTree(utf8Json)));
        } catch (IOException e) {
            // not JSON after all: blank the pieces in the bytes themselves
            String latin1 = new String(utf8Json, StandardCharsets.ISO_8859_1);
            StringBuilder out = new StringBuilder(latin1.length());
            int copied = 0;
            for (int[] span : bytes.find(latin1, false)) {
                out.append(latin1, copied, span[0]).append(REDACTED);
                copied = span[1];
            }
            return out.append(latin1, copied, latin1.length()).toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    /** {@code value} (a record mapped to JSON) without keys; the same instance when it held none. */
    public <T> T scrub(T value, Class<T> type) {
        if (value == null) {
            return null;
        }
        // written into a buffer from the shared pool and scanned there: an answer that fits one buffer (nearly all)
        // is never copied into an array or a string of its own
        BufferRecycler buffers = JSON.getFactory()._getBufferRecycler();
        ByteArrayBuilder written = new ByteArrayBuilder(buffers);
        try {
            JSON.writeValue((OutputStream) written, value);
            if (written.size() == written.getCurrentSegmentLength()
                    && !leaks(written.getCurrentSegment(), written.size())) {
                return value;
            }
            byte[] whole = written.toByteArray(); // (which empties the builder)
            if (!leaks(whole)) {
                return value;
            }
            return JSON.treeToValue(scrub(JSON.readTree(whole)), type);
        } catch (IOException e) {
            throw new IllegalStateException("a " + type.getSimpleName() + " could not be mapped to JSON and back", e);
        } finally {
            written.release();
            buffers.releaseToPool();
        }
    }

    /** The tree with keys removed from its text values and field names, in place where it can be. */
    private JsonNode scrub(JsonNode node) {
        if (node.isTextual()) {
            String clean = scrub(node.textValue());
            return clean == node.textValue() ? node : TextNode.valueOf(clean);
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, scrub(array.get(i)));
            }
        } else if (node instanceof ObjectNode object) {
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                fields.put(scrub(field.getKey()), scrub(field.getValue()));
            }
            object.removeAll();
            object.setAll(fields);
        }
        return node;
    }

    /**
     * Finds configured keys, whole or in pieces, with a rolling hash of every {@value #FRAGMENT}-character window of
     * each key that looks random. Only keys of at least twice that length are looked for in pieces (so that both
     * halves of one cut in two are found); a shorter one is looked for whole.
     *
     * <p>Nearly every text holds none, and is settled by one pass for all keys that looks at a {@value #GRAM}-character
     * gram every few characters ({@link #stride}): any occurrence of what is looked for holds one such gram whole, and
     * a gram no key has rules out every key there. Only around a gram some key has are the keys looked for one by
     * one, as before. Written by hand: the JDK's and Jackson's searches look for one string at a time.
     */
    private static final class Matcher {

        private static final long BASE = 1_000_003L;

        /** The characters of a gram: the keys' shortest is {@value} long. */
        private static final int GRAM = 4;
        /** Bits of the grams' set, 16 KB. */
        private static final int GRAM_BITS = 17;

        /** Bits of a window's hash, one per slot: a position whose bit is clear starts no window of a key. */
        private static final int SLOTS = 1 << 16;

        private final List<String> shortKeys = new ArrayList<>();
        /** The short keys' characters as bytes, for keys whose characters each fit one (ISO-8859-1). */
        private final List<byte[]> shortKeyBytes = new ArrayList<>();
        /** For each of {@link #shortKeyBytes}, how far a window may move on by the byte under its last position. */
        private final List<int[]> shortKeyShifts = new ArrayList<>();
        /** By window length: window hash to the keys and offsets where such a window starts. */
        private final Map<Integer, Map<Long, List<int[]>>> windows = new HashMap<>();
        /** By window length: the slots of the window hashes, so that most positions cost no map look-up. */
        private final Map<Integer, long[]> slots = new HashMap<>();
        private final List<String> keys;
        /**
         * The {@value #GRAM}-character grams of every key, one bit each by their hash: a text none of whose grams sampled
         * every {@link #stride} characters is set holds no key, nor any piece of one looked for.
         */
        private final long[] grams = new long[(1 << GRAM_BITS) / 64];
        /**
         * How far apart the grams of a text are sampled: the length of the shortest thing looked for (a short key, or a
         * window of a long one) less a gram plus one, so that any occurrence of it holds a sampled gram whole; 0 when
         * no key is looked for.
         */
        private final int stride;
        /** The longest thing looked for, a short key or a window: how far around a sampled gram its occurrence lies. */
        private final int longest;

        Matcher(List<String> keys) {
            this.keys = keys;
            int shortest = Integer.MAX_VALUE;
            int longestFound = 0;
            for (String key : keys) {
                int looked = inPieces(key) ? FRAGMENT : key.length();
                shortest = Math.min(shortest, looked);
                longestFound = Math.max(longestFound, looked);
                for (int i = 0; i + GRAM <= key.length(); i++) {
                    int slot = gramSlot(gram(key.charAt(i), key.charAt(i + 1), key.charAt(i + 2),
                            key.charAt(i + 3)));
                    grams[slot >>> 6] |= 1L << slot;
                }
            }
            this.stride = keys.isEmpty() ? 0 : shortest - GRAM + 1;
            this.longest = longestFound;
            for (int k = 0; k < keys.size(); k++) {
                String key = keys.get(k);
                int window = FRAGMENT;
                if (!inPieces(key)) {
                    shortKeys.add(key);
                    if (key.chars().allMatch(c -> c <= 0xff)) {
                        byte[] bytes = key.getBytes(StandardCharsets.ISO_8859_1);
                        shortKeyBytes.add(bytes);
                        shortKeyShifts.add(shifts(bytes));
                    }
                    continue;
                }
                Map<Long, List<int[]>> byHash = windows.computeIfAbsent(window, w -> new HashMap<>());
                long[] bits = slots.computeIfAbsent(window, w -> new long[SLOTS / 64]);
                for (int at = 0; at + window <= key.length(); at++) {
                    if (random(key, at, window)) {
                        long h = hash(key, at, window);
                        byHash.computeIfAbsent(h, x -> new ArrayList<>()).add(new int[] {k, at});
                        bits[slot(h) >>> 6] |= 1L << slot(h);
                    }
                }
            }
        }

        /**
         * Whether a key is looked for in pieces: one long enough that both halves of it cut in two are, and with a
         * window that looks random. A long key of words has none, and is looked for whole, as a short one is.
         */
        static boolean inPieces(String key) {
            if (key.length() < 2 * FRAGMENT) {
                return false;
            }
            for (int at = 0; at + FRAGMENT <= key.length(); at++) {
                if (random(key, at, FRAGMENT)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Whether a window looks drawn at random, as a generated key's windows nearly all do: letters with digits,
         * or both cases. A window of lower-case words ("-anthropic") turns up in ordinary text and is not looked for.
         */
        static boolean random(String key, int from, int window) {
            boolean digit = false;
            boolean upper = false;
            boolean lower = false;
            for (int i = from; i < from + window; i++) {
                char c = key.charAt(i);
                digit |= Character.isDigit(c);
                upper |= Character.isUpperCase(c);
                lower |= Character.isLowerCase(c);
            }
            return digit && (upper || lower) || upper && lower;
        }

        private static long hash(CharSequence s, int from, int window) {
            long h = 0;
            for (int i = from; i < from + window; i++) {
                h = h * BASE + s.charAt(i);
            }
            return h;
        }

        private static int slot(long hash) {
            return (int) (hash ^ (hash >>> 32)) & (SLOTS - 1);
        }

        /**
         * Whether the first {@code length} bytes, each read as one ISO-8859-1 character, hold a key or a piece of one:
         * {@code !find(text, true).isEmpty()}, read from the array itself, with a look-up only where a window's slot
         * is set. Every answer read whole goes through here, so this is the common case of the redactor.
         */
        boolean holds(byte[] text, int length) {
            if (shortKeyBytes.size() < shortKeys.size()) {
                return !find(new Latin1(text, length), true).isEmpty(); // a key these bytes cannot spell
            }
            if (stride == 0) {
                return false; // no key to look for
            }
            for (int at = 0; at + GRAM <= length; at += stride) {
                int slot = gramSlot(gram(text[at] & 0xff, text[at + 1] & 0xff, text[at + 2] & 0xff,
                        text[at + 3] & 0xff));
                if ((grams[slot >>> 6] & 1L << slot) != 0
                        && holds(text, length, Math.max(0, at - longest), Math.min(length, at + longest + GRAM))) {
                    return true;
                }
            }
            return false;
        }

        /** Whether a key, or a piece of one, lies wholly in {@code text[from, to)}. */
        private boolean holds(byte[] text, int length, int from, int to) {
            for (int k = 0; k < shortKeyBytes.size(); k++) {
                if (indexOf(text, from, to, shortKeyBytes.get(k), shortKeyShifts.get(k)) >= 0) {
                    return true;
                }
            }
            for (Map.Entry<Integer, Map<Long, List<int[]>>> entry : windows.entrySet()) {
                int window = entry.getKey();
                if (to - from < window) {
                    continue;
                }
                long[] bits = slots.get(window);
                long top = 1;
                for (int i = 1; i < window; i++) {
                    top *= BASE;
                }
                long h = 0;
                for (int i = from; i < from + window; i++) {
                    h = h * BASE + (text[i] & 0xff);
                }
                for (int at = from; ; at++) {
                    int slot = slot(h);
                    if ((bits[slot >>> 6] & 1L << slot) != 0) {
                        List<int[]> candidates = entry.getValue().get(h);
                        if (candidates != null && extend(new Latin1(text, length), at, window, candidates) != null) {
                            return true;
                        }
                    }
                    if (at + window >= to) {
                        break;
                    }
                    h = (h - (text[at] & 0xff) * top) * BASE + (text[at + window] & 0xff);
                }
            }
            return false;
        }

        /**
         * Whether {@code text} may hold a key or a piece of one: false when no sampled {@value #GRAM}-character gram
         * is one of theirs, which settles nearly every answer at one look-up every {@link #stride} characters.
         */
        private boolean mayHold(CharSequence text) {
            if (stride == 0) {
                return false;
            }
            for (int at = 0; at + GRAM <= text.length(); at += stride) {
                int slot = gramSlot(gram(text.charAt(at), text.charAt(at + 1), text.charAt(at + 2),
                        text.charAt(at + 3)));
                if ((grams[slot >>> 6] & 1L << slot) != 0) {
                    return true;
                }
            }
            return false;
        }

        private static int gram(int c0, int c1, int c2, int c3) {
            return c0 ^ c1 << 8 ^ c2 << 16 ^ c3 << 24;
        }

        private static int gramSlot(int gram) {
            return (gram * 0x9E3779B1) >>> (32 - GRAM_BITS);
        }

        /**
         * Horspool's table: for each byte, how far the window may move on when that byte is under the key's last
         * position (the key's length for a byte it does not hold before its end).
         */
        private static int[] shifts(byte[] key) {
            int[] shift = new int[256];
            Arrays.fill(shift, key.length);
            for (int i = 0; i < key.length - 1; i++) {
                shift[key[i] & 0xff] = key.length - 1 - i;
            }
            return shift;
        }

        /**
         * Where {@code key} first starts in {@code text[from, to)}, or -1: Horspool's search looks at about one byte in
         * the key's length where a byte by byte scan looked at all of them.
         */
        private static int indexOf(byte[] text, int from, int to, byte[] key, int[] shift) {
            int last = key.length - 1;
            for (int at = from; at + last < to; at += shift[text[at + last] & 0xff]) {
                int i = last;
                while (text[at + i] == key[i]) {
                    if (i == 0) {
                        return at;
                    }
                    i--;
                }
            }
            return -1;
        }

        /** The spans to blank, in order and merged; with {@code first}, stops at the first one found. */
        List<int[]> find(CharSequence text, boolean first) {
            if (!mayHold(text)) {
                return new ArrayList<>(0);
            }
            List<int[]> spans = new ArrayList<>();
            for (String key : shortKeys) {
                for (int at = indexOf(text, key, 0); at >= 0; at = indexOf(text, key, at + 1)) {
                    spans.add(new int[] {at, at + key.length()});
                    if (first) {
                        return spans;
                    }
                }
            }
            for (Map.Entry<Integer, Map<Long, List<int[]>>> entry : windows.entrySet()) {
                int window = entry.getKey();
                Map<Long, List<int[]>> byHash = entry.getValue();
                if (text.length() < window) {
                    continue;
                }
                long top = 1;
                for (int i = 1; i < window; i++) {
                    top *= BASE;
                }
                long h = hash(text, 0, window);
                for (int at = 0; ; at++) {
                    List<int[]> candidates = byHash.get(h);
                    if (candidates != null) {
                        int[] span = extend(text, at, window, candidates);
                        if (span != null) {
                            spans.add(span);
                            if (first) {
                                return spans;
                            }
                        }
                    }
                    if (at + window >= text.length()) {
                        break;
                    }
                    h = (h - text.charAt(at) * top) * BASE + text.charAt(at + window);
                }
            }
            return merged(spans);
        }

        /** The longest run around the window at {@code at} that matches the same stretch of one key. */
        private int[] extend(CharSequence text, int at, int window, List<int[]> candidates) {
            int[] best = null;
            for (int[] candidate : candidates) {
                String key = keys.get(candidate[0]);
                int offset = candidate[1];
                if (!regionMatches(text, at, key, offset, window)) {
                    continue;
                }
                int start = at;
                int keyStart = offset;
                while (start > 0 && keyStart > 0 && text.charAt(start - 1) == key.charAt(keyStart - 1)) {
                    start--;
                    keyStart--;
                }
                int end = at + window;
                int keyEnd = offset + window;
                while (end < text.length() && keyEnd < key.length() && text.charAt(end) == key.charAt(keyEnd)) {
                    end++;
                    keyEnd++;
                }
                if (best == null || end - start > best[1] - best[0]) {
                    best = new int[] {start, end};
                }
            }
            return best;
        }

        private static int indexOf(CharSequence text, String key, int from) {
            if (text instanceof String string) {
                return string.indexOf(key, from);
            }
            char head = key.charAt(0);
            for (int at = from; at + key.length() <= text.length(); at++) {
                if (text.charAt(at) == head && regionMatches(text, at, key, 0, key.length())) {
                    return at;
                }
            }
            return -1;
        }

        static boolean regionMatches(CharSequence text, int at, String key, int offset, int length) {
            if (text instanceof String string) {
                return string.regionMatches(at, key, offset, length);
            }
            if (at < 0 || at + length > text.length()) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (text.charAt(at + i) != key.charAt(offset + i)) {
                    return false;
                }
            }
            return true;
        }

        private static List<int[]> merged(List<int[]> spans) {
            if (spans.size() < 2) {
                return spans;
            }
            spans.sort(Comparator.comparingInt(s -> s[0]));
            List<int[]> merged = new ArrayList<>();
            int[] current = spans.getFirst();
            for (int[] span : spans.subList(1, spans.size())) {
                if (span[0] <= current[1]) {
                    current = new int[] {current[0], Math.max(current[1], span[1])};
                } else {
                    merged.add(current);
                    current = span;
                }
            }
            merged.add(current);
            return merged;
        }
    }

    /** Bytes as ISO-8859-1 characters, one each, read where they are. */
    private record Latin1(byte[] bytes, int length) implements CharSequence {

        @Override
        public char charAt(int index) {
            return (char) (bytes[index] & 0xff);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
        }
    }
}
