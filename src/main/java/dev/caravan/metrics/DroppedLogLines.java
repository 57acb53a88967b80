package dev.caravan.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.CountingNoOpAppender;

/**
 * Log lines the asynchronous appender dropped, as the counter {@value Meters#LOG_DROPPED}. Writing a line never
 * blocks the thread that logs it (an event loop, for the request log): when the appender's queue is full the line
 * goes to the counting appender named {@value #APPENDER} instead (log4j2.properties), and this reads its count.
 */
public final class DroppedLogLines implements MeterBinder {

    /** The appender the asynchronous one hands the lines it cannot queue to. */
    public static final String APPENDER = "dropped";

    private final LoggerContext context;

    public DroppedLogLines(LoggerContext context) {
        this.context = context;
    }

    /** The gateway's own logging; null when Log4j is not the SLF4J backend (nothing to count then). */
    public static DroppedLogLines ofGateway() {
        return LogManager.getContext(false) instanceof LoggerContext context ? new DroppedLogLines(context) : null;
    }

    /** Lines dropped so far under the current configuration. */
    public long count() {
        return count(context);
    }

    private static long count(LoggerContext context) {
        Appender appender = context.getConfiguration().getAppender(APPENDER);
        return appender instanceof CountingNoOpAppender counting ? counting.getCount() : 0;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        // the meter holds its object weakly: the logging context, which Log4j holds as long as it logs
        FunctionCounter.builder(Meters.LOG_DROPPED, context, DroppedLogLines::count)
                .description("log lines dropped because the log's queue was full")
                .register(registry);
    }
}
