package dev.caravan.e2e;

import static dev.caravan.testing.Eventually.eventually;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * The lines of the request log ({@code caravan.requests}) written while it is attached, as they were logged: read
 * from the test gateways' request log output ({@link RequestLogOutput}), or from Log4j for a gateway that logs them
 * there ({@code caravan.log.requests = log4j}).
 */
final class RequestLogCapture implements AutoCloseable {

    /** {@code <time> INFO  [<thread>] requests - <line>}, the shipped console pattern's prefix. */
    private static final Pattern WRITTEN = Pattern.compile("\\S+ INFO  \\[(.*?)] requests - (.*)");

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<String> threads = new CopyOnWriteArrayList<>();
    private final AbstractAppender appender;
    private final Consumer<String> written = line -> {
        Matcher m = WRITTEN.matcher(line);
        if (m.matches()) {
            threads.add(m.group(1));
            lines.add(m.group(2));
        }
    };

    private RequestLogCapture(String name) {
        appender = new AbstractAppender(name, null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLoggerName().equals("caravan.requests")) {
                    lines.add(event.getMessage().getFormattedMessage());
                    threads.add(event.getThreadName());
                }
            }
        };
    }

    /** Attached to the root logger until {@link #close}. */
    static RequestLogCapture attach(String name) {
        RequestLogCapture capture = new RequestLogCapture(name);
        capture.appender.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(capture.appender, null, null);
        context.updateLoggers();
        // the lines of requests answered before, which the writers may still hold, are not this capture's
        RequestLogOutput.flushAll();
        RequestLogOutput.listen(capture.written);
        return capture;
    }

    /** The lines so far; a live view. */
    List<String> lines() {
        return lines;
    }

    /** The first line that holds {@code text}, read as JSON, once there is one. */
    JsonNode awaitLine(String text) throws JsonProcessingException {
        eventually().until(() -> lines.stream().anyMatch(l -> l.contains(text)));
        return Gateway.JSON.readTree(lines.stream().filter(l -> l.contains(text)).findFirst().orElseThrow());
    }

    /** The name of the thread each line was written on, in the order of {@link #lines}; a live view. */
    List<String> threads() {
        return threads;
    }

    @Override
    public void close() {
        RequestLogOutput.stopListening(written);
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().removeAppender(appender.getName());
        context.updateLoggers();
    }
}
