package dev.caravan.provider;

import java.util.function.UnaryOperator;

/**
 * A failure as it may be logged: the type and message of each exception in its cause chain redacted
 * ({@link SecretRedactor#redact}), their stack traces kept. A message may carry what a provider sent back, a key
 * among it; a stack frame cannot.
 */
public final class RedactedFailure extends Exception {

    /** Causes followed at most: a chain longer than this is a loop. */
    private static final int MAX_CAUSES = 16;

    private RedactedFailure(Throwable original, UnaryOperator<String> redactor, int depth) {
        super(redactor.apply(original.toString()), cause(original, redactor, depth), false, true);
        setStackTrace(original.getStackTrace());
    }

    private static RedactedFailure cause(Throwable original, UnaryOperator<String> redactor, int depth) {
        Throwable cause = original.getCause();
        return cause == null || cause == original || depth >= MAX_CAUSES ? null
                : new RedactedFailure(cause, redactor, depth + 1);
    }

    /** {@code thrown} with every message redacted, or null for null. */
    public static Throwable of(Throwable thrown, SecretRedactor redactor) {
        return of(thrown, redactor::redact);
    }

    /** {@code thrown} with every message (each exception's type and message) as {@code redactor} makes it. */
    public static Throwable of(Throwable thrown, UnaryOperator<String> redactor) {
        return thrown == null ? null : new RedactedFailure(thrown, redactor, 0);
    }

    /** The original's type and message, redacted: it stands in for the original. */
    @Override
    public String toString() {
        return getMessage();
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // the original's frames are set instead
    }
}
