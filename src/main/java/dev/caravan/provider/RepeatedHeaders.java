package dev.caravan.provider;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.util.AsciiString;

/**
 * Header names and values that go out on many calls (a provider's auth header, its API version, the content
 * negotiation), each made once as an {@link AsciiString}: a String is checked character by character, hashed and
 * encoded again on every call, an AsciiString keeps its hash and is copied as bytes. Only printable ASCII text is
 * converted (anything else goes out as given, for Vert.x to check or refuse as before).
 *
 * <p>Values are remembered per header name, at most {@value #VALUES_PER_NAME} each, a new one taking the place of an
 * old one: the values a client passes through for itself (any number of them) crowd out only each other, never the
 * providers' keys under their own names, and a rotated key or a refreshed token is remembered in place of one gone
 * stale. Names come from the dialects and the client protocols' fixed lists; past {@value #NAMES} of them (which
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
        private final Map<String, AsciiString> values = new ConcurrentHashMap<>();

        private Named(CharSequence name) {
            this.name = name;
        }

        CharSequence name() {
            return name;
        }

        /** {@code text} as an AsciiString when it is printable ASCII, else {@code text} itself. */
        CharSequence value(String text) {
            AsciiString known = values.get(text);
            if (known != null) {
                return known;
            }
            if (!printableAscii(text) || !(name instanceof AsciiString)) {
                return text;
            }
            if (values.size() >= VALUES_PER_NAME) {
                // any one makes room: a value still in use is made again on its next call
                Iterator<String> old = values.keySet().iterator();
                if (old.hasNext()) {
                    values.remove(old.next());
                }
            }
            AsciiString fresh = new AsciiString(text);
            AsciiString raced = values.putIfAbsent(text, fresh);
            return raced != null ? raced : fresh;
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
