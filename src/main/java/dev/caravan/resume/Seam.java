package dev.caravan.resume;

/**
 * Where a resumed answer joins the text the client already has. A continuation often starts by repeating the last
 * words it was given (an instruction to continue is followed loosely, a prefill ending in a space is continued with
 * one); what it repeats is dropped, so the client reads the answer once.
 *
 * <p>The continuation arrives in pieces: its beginning is held back until it can no longer grow into a longer
 * repetition, then released without the overlap. Only an overlap that starts at a word boundary of the text sent
 * counts, so a continuation that merely begins with the same letter the text ends with is kept whole.
 */
public final class Seam {

    /** The longest repetition looked for, in characters: a model repeats a few words, not paragraphs. */
    public static final int WINDOW = 200;

    private final String sent;
    private final StringBuilder held = new StringBuilder();
    private int trimmed = -1;

    /** @param sent the text the client already has */
    public Seam(String sent) {
        this.sent = sent.length() > WINDOW ? sent.substring(sent.length() - WINDOW) : sent;
    }

    /**
     * Takes the next piece of the continuation.
     *
     * @return the text to send now: empty while the beginning is held back, then the continuation without its
     *         repeated part
     */
    public String offer(String piece) {
        if (decided()) {
            return piece;
        }
        held.append(piece);
        if (held.length() < sent.length() && mayGrow(held)) {
            return "";
        }
        return release();
    }

    /** Releases whatever is held, the continuation having ended (or paused for good). */
    public String flush() {
        return decided() ? "" : release();
    }

    /** True once the overlap is known and nothing is held back. */
    public boolean decided() {
        return trimmed >= 0;
    }

    /** How many characters of the continuation were dropped as a repetition; -1 while undecided. */
    public int trimmed() {
        return trimmed;
    }

    /** The overlap between the end of {@code sent} and the beginning of {@code continuation}, in characters. */
    public static int overlap(String sent, CharSequence continuation) {
        int most = Math.min(Math.min(sent.length(), continuation.length()), WINDOW);
        for (int k = most; k > 0; k--) {
            int at = sent.length() - k;
            if (sent.regionMatches(at, continuation.toString(), 0, k) && startsWord(sent, at)) {
                return k;
            }
        }
        return 0;
    }

    private String release() {
        trimmed = overlap(sent, held);
        String rest = held.substring(trimmed);
        held.setLength(0);
        return rest;
    }

    /** True when a longer continuation could still turn {@code held} into a longer repetition of the text's end. */
    private boolean mayGrow(CharSequence beginning) {
        String start = beginning.toString();
        for (int at = sent.indexOf(start); at >= 0; at = sent.indexOf(start, at + 1)) {
            if (at + start.length() < sent.length() && startsWord(sent, at)) {
                return true;
            }
        }
        return false;
    }

    /** An overlap counts from the start of a word, from a whitespace, or from the very beginning of the text. */
    private static boolean startsWord(String text, int at) {
        return at == 0 || Character.isWhitespace(text.charAt(at)) || Character.isWhitespace(text.charAt(at - 1))
                || !Character.isLetterOrDigit(text.charAt(at - 1));
    }
}
