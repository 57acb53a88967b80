package dev.caravan.logging;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.caravan.provider.SecretRedactor;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.logging.log4j.core.pattern.ConverterKeys;
import org.apache.logging.log4j.core.pattern.LogEventPatternConverter;
import org.apache.logging.log4j.core.pattern.PatternConverter;
import org.apache.logging.log4j.core.pattern.PatternFormatter;

/**
 * {@code %redact{pattern}}: the line {@code pattern} makes (message, stack trace and all), without the configured
 * provider and client keys. Caravan redacts its own failures before it logs them, but a library logs its own
 * (Camel's error handler, Spring's JMS listener, Vert.x's unhandled exceptions) with whatever their messages hold;
 * redacting at the layout covers every logger. The layout runs on the asynchronous appender's thread, not on the
 * thread that logs, and the request log has a writer of its own: no request waits for it.
 *
 * <p>The keys are those of every gateway started in this JVM ({@link #redactAlso}), from the moment its
 * configuration is read, before it is checked: two gateways in one JVM have both their keys redacted, and a stopped
 * gateway's keys stay redacted (its last lines are formatted after it stopped, on the appender's thread; a key is a
 * secret whether or not a gateway still uses it).
 */
@Plugin(name = "RedactingConverter", category = PatternConverter.CATEGORY)
@ConverterKeys({"redact"})
public final class RedactingConverter extends LogEventPatternConverter {

    /** Every key added so far, in the order added; guarded by the class. */
    private static final Set<String> KEYS = new LinkedHashSet<>();
    private static volatile SecretRedactor redactor;

    private final List<PatternFormatter> formatters;

    private RedactingConverter(List<PatternFormatter> formatters) {
        super("redact", "redact");
        this.formatters = formatters;
    }

    /** Log4j's factory: {@code options[0]} is the pattern of the line to redact. */
    public static RedactingConverter newInstance(Configuration config, String[] options) {
        if (options == null || options.length != 1) {
            throw new IllegalArgumentException("%redact takes one pattern: %redact{pattern}");
        }
        // with the stack trace written at the end of the pattern's line when it has no converter of its own for it
        return new RedactingConverter(PatternLayout.createPatternParser(config).parse(options[0], true, false, false));
    }

    /**
     * Redacts {@code keys} (a gateway's provider and client keys) from every line written from now on, besides those
     * added before.
     */
    public static synchronized void redactAlso(Collection<String> keys) {
        if (KEYS.addAll(keys)) {
            redactor = new SecretRedactor(List.copyOf(KEYS));
        }
    }

    /** What every line written now loses: the keys of every gateway started in this JVM; null before the first. */
    public static SecretRedactor keys() {
        return redactor;
    }

    @Override
    public void format(LogEvent event, StringBuilder to) {
        int start = to.length();
        for (PatternFormatter formatter : formatters) {
            formatter.format(event, to);
        }
        SecretRedactor keys = redactor;
        if (keys != null) {
            String line = to.substring(start);
            String clean = keys.scrub(line);
            if (clean != line) {
                to.setLength(start);
                to.append(clean);
            }
        }
    }

    /** The stack trace is written inside the redacted line, not after it by the layout. */
    @Override
    public boolean handlesThrowable() {
        return true;
    }
}
