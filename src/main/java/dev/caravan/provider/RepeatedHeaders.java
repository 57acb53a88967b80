package dev.caravan.provider;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.util.AsciiString;

/**
 * Header names and values that go out on many calls (a provider's auth header, its API version, the content
 * negotiation), each made once as an {@link AsciiString}: a String is checked character by character, hashed and
 * encoded again on every call, an AsciiString keeps its hash and is copied as bytes. Only printable ASCII text is
 * converted (anything else goes out as given, for Vert.x to check or refuse as before).
 *
 * <p>Values are remembered per header name, at most {@value #VALUES_PER_NAME} each, a new one taking the place of the
 * one least recently used: the values a client passes through for itself (any number of them) crowd out only each
 * other, never the providers' keys under their own names; a key in use on every call keeps its place however many
 * one-off values pass under its name, and a rotated key or a refreshed token takes the place of one gone stale. Names come from the dialects and the client protocols' fixed lists; past {@value #NAMES} of them (which
 * would be a fault) a name and its values go out as given.
 *
 * <p>The remembered values include provider keys; this class has no {@code toString} of its own and exposes
 * nothing but the look-up.
 */
final class RepeatedHeaders {

    static final int NAMES = 32;
    /** Room for every configured key of the providers sharing one auth header name, and a few more. */
    static final int VALUES_PER_NAME = 32;

    private final Map<String, Named> names = new ConcurrentHashMap<>();

    /** The header {@code name} with its remembered values. */
    Named named(String name) {
        Named known = names.get(name);
        if (known != null) {
            return known;
        }
        if (!printableAscii(name) || names.size() >= NAMES) {
            return new Named(name);
        }
        Named fresh = new Named(new AsciiString(name));
        Named raced = names.putIfAbsent(name, fresh);
        return raced != null ? raced : fresh;
    }

    /** Values remembered under all names: at most {@value #NAMES} times {@value #VALUES_PER_NAME}, about. */
    int remembered() {
        int count = 0;
        for (Named named : names.values()) {
            count += named.values.size();
        }
        return count;
    }

    /** One header name as it goes out, and its values that went out before. */
    static final class Named {

        private final CharSequence name;
        private final Map<String, Remembered> values = new ConcurrentHashMap<>();
        /**
         * Counts this name's look-ups, each value stamped with it when used: the least recently used is the lowest
         * stamp. Not atomic: two event loops may stamp alike, which only blurs the order of two uses at the same
         * moment, and a look-up pays one plain write rather than a lock or a reordered list.
         */
        private long uses;

        private Named(CharSequence name) {
            this.name = name;
        }

        CharSequence name() {
            return name;
        }

        /** {@code text} as an AsciiString when it is printable ASCII, else {@code text} itself. */
        CharSequence value(String text) {
            Remembered known = values.get(text);
            if (known != null) {
                known.used = ++uses;
                return known.value;
            }
            if (!printableAscii(text) || !(name instanceof AsciiString)) {
                return text;
            }
            if (values.size() >= VALUES_PER_NAME) {
                evictLeastRecentlyUsed(); // a value still in use is made again on its next call
            }
            Remembered fresh = new Remembered(new AsciiString(text), ++uses);
            Remembered raced = values.putIfAbsent(text, fresh);
            return (raced != null ? raced : fresh).value;
        }

        /** Rare (a new value under a full name), and over a few dozen entries: a scan, not an ordered structure. */
        private void evictLeastRecentlyUsed() {
            Map.Entry<String, Remembered> oldest = null;
            for (Map.Entry<String, Remembered> entry : values.entrySet()) {
                if (oldest == null || entry.getValue().used < oldest.getValue().used) {
                    oldest = entry;
                }
            }
            if (oldest != null) {
                values.remove(oldest.getKey(), oldest.getValue());
            }
        }
    }

    /** A value as it goes out, and when it last did (in its name's look-ups). */
    private static final class Remembered {

        final AsciiString value;
        long used;

        Remembered(AsciiString value, long used) {
            this.value = value;
            this.used = used;
        }
    }

    private static boolean printableAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' || c >= 0x7F) {
                return false;
            }
        }
        return true;
    }
}
