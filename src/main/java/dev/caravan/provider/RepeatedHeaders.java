package dev.caravan.provider;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.util.AsciiString;

/**
 * Header names and values that go out on many calls (a provider's auth header, its API version, the content
 * negotiation), each made once as an {@link AsciiString}: a String is checked character by character, hashed and
 * encoded again on every call, an AsciiString keeps its hash and is copied as bytes. Only printable ASCII text is
 * converted (anything else goes out as given, for Vert.x to check or refuse as before), and only the first
 * {@value #REMEMBERED} distinct texts are kept: values a client passes through for itself could be any number.
 *
 * <p>The remembered values include provider keys; this class has no {@code toString} of its own and exposes
 * nothing but the look-up.
 */
final class RepeatedHeaders {

    private static final int REMEMBERED = 512;

    private final Map<String, AsciiString> made = new ConcurrentHashMap<>();

    /** {@code text} as an AsciiString when it is printable ASCII, else {@code text} itself. */
    CharSequence of(String text) {
        AsciiString known = made.get(text);
        if (known != null) {
            return known;
        }
        if (!printableAscii(text) || made.size() >= REMEMBERED) {
            return text;
        }
        AsciiString fresh = new AsciiString(text);
        AsciiString raced = made.putIfAbsent(text, fresh);
        return raced != null ? raced : fresh;
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
