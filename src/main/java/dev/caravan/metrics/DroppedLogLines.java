package dev.caravan.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.CountingNoOpAppender;

/**
 * Log lines dropped, as the counter {@value Meters#LOG_DROPPED}. Writing a line never blocks the thread that logs it
 * (an event loop, for the request log): when the asynchronous appender's queue is full the line goes to the
 * counting appender named {@value #APPENDER} instead (log4j2.properties), and when the request log's own writer has
 * its queue full it counts the line itself; this adds the two.
 */
public final class DroppedLogLines implements MeterBinder {

    /** The appender the asynchronous one hands the lines it cannot queue to. */
    public static final String APPENDER = "dropped";

    private final LoggerContext context;
    private final LongSupplier requestLines;

    public DroppedLogLines(LoggerContext context) {
        this(context, () -> 0);
    }

    /**
     * @param context      Log4j's, or null when Log4j is not the SLF4J backend (nothing to count there then)
     * @param requestLines the request lines the request log's writer dropped
     */
    public DroppedLogLines(LoggerContext context, LongSupplier requestLines) {
        this.context = context;
        this.requestLines = requestLines;
    }

    /** The gateway's own logging, plus the request lines {@code requestLines} counts. */
    public static DroppedLogLines ofGateway(LongSupplier requestLines) {
        return new DroppedLogLines(LogManager.getContext(false) instanceof LoggerContext c ? c : null, requestLines);
    }

    /** Lines dropped so far under the current configuration. */
    public long count() {
        long log4j = 0;
        if (context != null
                && context.getConfiguration().getAppender(APPENDER) instanceof CountingNoOpAppender counting) {
            log4j = counting.getCount();
        }
        return log4j + requestLines.getAsLong();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        // the meter holds its object weakly, its function strongly: a function that reads this keeps it
        FunctionCounter.builder(Meters.LOG_DROPPED, this, self -> count())
                .description("log lines dropped because the log's queue was full")
                .register(registry);
    }
}
