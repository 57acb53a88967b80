package dev.caravan.ingress;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The names of the file-drop ingress: which inbox names are requests, which of them the folders can hold, and
 * the names of what is written for them. An answer or a reason is named after the whole original name, so
 * {@code q.txt} and {@code q.json} never share one.
 */
final class DropNames {

    /** The longest file name (in bytes) of the usual file systems (ext4, xfs, btrfs, tmpfs, APFS). */
    static final int MAX_NAME_BYTES = 255;
    /** What the file consumer's read lock appends for its marker beside a file being read. */
    static final String LOCK_SUFFIX = ".camelLock";
    static final String ANSWER_SUFFIX = ".json";
    static final String REASON_SUFFIX = ".error.json";
    /** The most of a name a log line shows, in characters as shown (escapes written out). */
    static final int SHOWN_NAME = 300;
    /** The longest inbox name taken: its read-lock marker and its answer must fit beside it. */
    static final int MAX_INBOX_NAME_BYTES = MAX_NAME_BYTES - Math.max(LOCK_SUFFIX.length(), ANSWER_SUFFIX.length());

    private DropNames() {
    }

    /** A chat request ({@code *.json}) or a prompt ({@code *.txt}); anything else in the inbox is left alone. */
    static boolean isRequest(String name) {
        return !name.startsWith(".") && (name.endsWith(".json") || name.endsWith(".txt"));
    }

    static boolean isPrompt(String name) {
        return name.endsWith(".txt");
    }

    /** Why a request's name cannot be taken, if it cannot. */
    static Optional<String> problem(String name) {
        if (name.codePoints().anyMatch(Character::isISOControl)) {
            return Optional.of("its name holds control characters (such as a line break or a tab), which would "
                    + "corrupt log lines and scripts; rename it without them");
        }
        int bytes = utf8Length(name);
        if (bytes > MAX_INBOX_NAME_BYTES) {
            return Optional.of("its name is " + bytes + " bytes long; names of up to " + MAX_INBOX_NAME_BYTES
                    + " bytes (UTF-8) are read, so that the names written beside it (its answer, its read-lock marker) "
                    + "fit in the " + MAX_NAME_BYTES + " bytes a file system allows");
        }
        return Optional.empty();
    }

    /** The answer's name in the outbox. */
    static String answer(String name) {
        return name + ANSWER_SUFFIX;
    }

    /**
     * The reason file's name in the error folder: {@code <name>.error.json}, or, when that would be too long, the
     * name cut short and followed by a hash of the whole name, so that two long names never share a reason.
     */
    static String reason(String name) {
        String whole = name + REASON_SUFFIX;
        if (utf8Length(whole) <= MAX_NAME_BYTES) {
            return whole;
        }
        String hash = "~" + sha256(name.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        int room = MAX_NAME_BYTES - hash.length() - REASON_SUFFIX.length();
        StringBuilder kept = new StringBuilder();
        int used = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            int size = utf8Length(Character.toString(cp));
            if (used + size > room) {
                break;
            }
            kept.appendCodePoint(cp);
            used += size;
            i += Character.charCount(cp);
        }
        return kept + hash + REASON_SUFFIX;
    }

    /** A name as a WARN or ERROR line shows it: {@link #shown(String)}, in quotes. */
    static String printable(String name) {
        return '"' + shown(name) + '"';
    }

    /**
     * A name as a log line shows it, the request log's among them: every code point a reader would not plainly see
     * written as its {@code \\uXXXX} escape (controls and line or paragraph separators, which could forge a line;
     * formatting marks such as the bidirectional overrides, which reorder what a reader sees; unassigned, private-use
     * and unpaired surrogate code points; spaces other than U+0020) and a backslash doubled, so that no name passes
     * for another; cut at {@link #SHOWN_NAME} characters, then {@code ...}, since escapes make a name up to six times
     * longer.
     */
    static String shown(String name) {
        StringBuilder out = new StringBuilder(Math.min(name.length(), SHOWN_NAME) + 3);
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            i += Character.charCount(cp);
            String piece = cp == '\\' ? "\\\\" : seen(cp) ? Character.toString(cp) : escaped(cp);
            if (out.length() + piece.length() > SHOWN_NAME) {
                return out.append("...").toString();
            }
            out.append(piece);
        }
        return out.toString();
    }

    /** Whether a reader sees {@code cp} as itself. */
    private static boolean seen(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> false;
            case Character.SPACE_SEPARATOR -> cp == ' ';
            default -> true;
        };
    }

    /** {@code cp} as Java and JSON write it: one {@code \\uXXXX} per UTF-16 unit. */
    private static String escaped(int cp) {
        StringBuilder out = new StringBuilder(12);
        for (char unit : Character.toChars(cp)) {
            out.append(String.format("\\u%04x", (int) unit));
        }
        return out.toString();
    }

    static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
