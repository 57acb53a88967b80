package dev.caravan.chat;

import java.io.IOException;
import java.util.Arrays;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.core.util.JsonParserDelegate;

/**
 * Where each top-level field of a JSON object body begins, noted during the one parse the body gets
 * ({@link JsonBodies#parse(com.fasterxml.jackson.databind.ObjectMapper, byte[], int, BodyFields)}), so that a
 * splice of the same bytes later (a passed-through request's model) needs no second scan of them. Valid only for the
 * very array it was noted on, once that parsed whole: {@link #of(byte[])} says so.
 */
public final class BodyFields {

    private byte[] body;
    private int open = -1;
    private int close = -1;
    private String[] names = new String[8];
    /** Where each field's value begins, as the parser had it at the field's name (no location object per field). */
    private int[] values = new int[8];
    private int count;

    /** The fields of {@code body}: true when they were noted on this very array and it parsed as one whole object. */
    public boolean of(byte[] body) {
        return body != null && body == this.body && close >= 0;
    }

    /** Where the root object's opening brace is. */
    public int open() {
        return open;
    }

    public int count() {
        return count;
    }

    /** The {@code i}-th field's name, as the parser read it (escapes resolved). */
    public String name(int i) {
        return names[i];
    }

    /** Where the {@code i}-th field's name begins: its opening quote. */
    public int nameStart(int i) {
        // back past the blanks and the colon (all a valid body has there) to the name's closing quote
        int at = blanksBack(blanksBack(values[i] - 1) - 1);
        do {
            at--;
        } while (body[at] != '"' || escaped(at));
        return at;
    }

    /** Where the {@code i}-th field's value begins: past its name, the colon and the blanks around it. */
    public int valueStart(int i) {
        return values[i];
    }

    /**
     * Where the {@code i}-th field's value ends (exclusive): before the blanks and the comma that lead to the next
     * field's name, or the blanks before the closing brace.
     */
    public int valueEnd(int i) {
        int at = (i + 1 < count ? nameStart(i + 1) : close) - 1;
        at = blanksBack(at);
        if (i + 1 < count) {
            at = blanksBack(at - 1); // the comma
        }
        return at + 1;
    }

    private int blanksFrom(int at) {
        while (isBlank(body[at])) {
            at++;
        }
        return at;
    }

    private int blanksBack(int at) {
        while (isBlank(body[at])) {
            at--;
        }
        return at;
    }

    /** Whether the quote at {@code quote} is escaped: an odd run of backslashes before it. */
    private boolean escaped(int quote) {
        int at = quote - 1;
        while (body[at] == '\\') {
            at--;
        }
        return ((quote - 1 - at) & 1) == 1;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    /** {@code parser}, over {@code body}, noting its top-level fields here as it is read. */
    JsonParser noting(JsonParser parser, byte[] body) {
        this.body = body;
        open = -1;
        close = -1;
        count = 0;
        return new Noting(parser);
    }

    private void add(String name, int valueStart) {
        if (count == names.length) {
            names = Arrays.copyOf(names, count * 2);
            values = Arrays.copyOf(values, count * 2);
        }
        names[count] = name;
        values[count++] = valueStart;
    }

    /**
     * Notes the root object's brackets and field names as a tree reader passes them. A tree reader reads an object's
     * names with {@link #nextFieldName()} (which also consumes its end) and everything else with
     * {@link #nextToken()}; the other shortcuts read values only, never a name or a bracket of an object.
     */
    private final class Noting extends JsonParserDelegate {

        Noting(JsonParser parser) {
            super(parser);
        }

        @Override
        public JsonToken nextToken() throws IOException {
            return noted(delegate.nextToken());
        }

        @Override
        public String nextFieldName() throws IOException {
            String name = delegate.nextFieldName();
            noted(delegate.currentToken());
            return name;
        }

        @Override
        public boolean nextFieldName(com.fasterxml.jackson.core.SerializableString name) throws IOException {
            boolean same = delegate.nextFieldName(name);
            noted(delegate.currentToken());
            return same;
        }

        private JsonToken noted(JsonToken token) throws IOException {
            if (token == JsonToken.FIELD_NAME || token == JsonToken.START_OBJECT) {
                JsonStreamContext object = delegate.getParsingContext();
                if (object.getParent() != null && object.getParent().inRoot()) {
                    if (token == JsonToken.FIELD_NAME) {
                        add(delegate.currentName(), valueStart());
                    } else {
                        open = tokenStart();
                    }
                }
            } else if (token == JsonToken.END_OBJECT && delegate.getParsingContext().inRoot()) {
                close = tokenStart();
            }
            return token;
        }

        /**
         * Where the current token begins. A byte parser keeps it as a number one past the token's first byte (what
         * {@code currentTokenLocation} reads too, but into a new location object each time).
         */
        private int tokenStart() {
            if (delegate instanceof UTF8StreamJsonParser bytes) {
                return (int) bytes.getTokenCharacterOffset() - 1;
            }
            return (int) delegate.currentTokenLocation().getByteOffset();
        }

        /**
         * Where the current field's value begins. At a field's name a byte parser has read on past the colon to the
         * value's first byte and kept where that is as the token's place (its location object for the name is made
         * apart, from where the name began).
         */
        private int valueStart() {
            if (delegate instanceof UTF8StreamJsonParser bytes) {
                return (int) bytes.getTokenCharacterOffset() - 1;
            }
            int at = (int) delegate.currentTokenLocation().getByteOffset() + 1;
            while (body[at] != '"') {
                at += body[at] == '\\' ? 2 : 1;
            }
            at = blanksFrom(at + 1);
            return blanksFrom(at + 1); // past the colon, which is all a valid body has there
        }
    }
}
