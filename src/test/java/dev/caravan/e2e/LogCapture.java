package dev.caravan.e2e;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/** Everything logged (messages and their exceptions' messages) while attached, from any logger. */
final class LogCapture implements AutoCloseable {

    private final StringBuffer text = new StringBuffer();
    private final AbstractAppender appender = new AbstractAppender("chat-errors", null, null, true,
            Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
            text.append(event.getMessage().getFormattedMessage()).append('\n');
            for (Throwable e = event.getThrown(); e != null; e = e.getCause()) {
                text.append(e).append('\n');
            }
        }
    };

    private LogCapture() {
    }

    static LogCapture attach() {
        LogCapture capture = new LogCapture();
        capture.appender.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(capture.appender, null, null);
        context.updateLoggers();
        return capture;
    }

    String text() {
        return text.toString();
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().removeAppender(appender.getName());
        context.updateLoggers();
    }
}
