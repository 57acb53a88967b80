package dev.caravan.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Everything logged while attached, from any logger, one entry per event: its message and its exceptions' messages
 * ({@link #attach()}), or the event as a layout writes it ({@link #attach(Layout)}, e.g. the shipped console's).
 * Attached to the root logger until {@link #close}.
 */
public final class LogCapture implements AutoCloseable {

    private final List<String> events = new CopyOnWriteArrayList<>();
    private final AbstractAppender appender;

    private LogCapture(Layout<?> layout) {
        appender = new AbstractAppender("log-capture-" + System.identityHashCode(this), null, layout, true,
                Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                events.add(layout == null ? plain(event)
                        : new String(layout.toByteArray(event), StandardCharsets.UTF_8));
            }
        };
    }

    /** Each event's message and its exceptions' messages (each cause's {@code toString}), a line each. */
    public static LogCapture attach() {
        return attached(new LogCapture(null));
    }

    /** Each event as {@code layout} writes it. */
    public static LogCapture attach(Layout<?> layout) {
        return attached(new LogCapture(layout));
    }

    /** Everything captured so far. */
    public String text() {
        return String.join("", events);
    }

    /** Each event captured so far, in the order logged. */
    public List<String> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().removeAppender(appender.getName());
        context.updateLoggers();
    }

    private static LogCapture attached(LogCapture capture) {
        capture.appender.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(capture.appender, null, null);
        context.updateLoggers();
        return capture;
    }

    private static String plain(LogEvent event) {
        StringBuilder text = new StringBuilder(event.getMessage().getFormattedMessage()).append('\n');
        for (Throwable e = event.getThrown(); e != null; e = e.getCause()) {
            text.append(e).append('\n');
        }
        return text.toString();
    }
}
