package dev.caravan.metrics;

import static dev.caravan.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AsyncAppender;
import org.apache.logging.log4j.message.AsynchronouslyFormattable;
import org.apache.logging.log4j.message.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shipped logging configuration (log4j2.properties) behind a console that stopped taking lines: a logger never
 * waits for room in the queue; the lines that find it full are dropped and counted by {@value Meters#LOG_DROPPED}.
 */
class DroppedLogLinesTest {

    private final CountDownLatch consoleFree = new CountDownLatch(1);
    private final LoggerContext logging = shippedLogging();

    @AfterEach
    void stop() {
        consoleFree.countDown();
        logging.stop();
    }

    @Test
    void aLineFindingTheQueueFullIsDroppedAndCountedInsteadOfWaiting() {
        AsyncAppender async = logging.getConfiguration().getAppender("async");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new DroppedLogLines(logging).bindTo(registry);
        Logger requests = logging.getLogger("caravan.requests");

        // the console is stuck on this line: the appender's thread took it and cannot write it
        requests.info(new StuckLine(consoleFree));
        eventually().until(() -> async.getQueueSize() == 0);
        int beyondTheQueue = 1_000;
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < async.getQueueCapacity() + beyondTheQueue; i++) {
                requests.info("{\"request_id\":\"req_{}\"}", i);
            }
        });

        eventually().until(writing::isDone);
        assertThat(async.getQueueRemainingCapacity()).as("the queue is full").isZero();
        assertThat(registry.get(Meters.LOG_DROPPED).functionCounter().count()).isEqualTo(beyondTheQueue);
    }

    private static LoggerContext shippedLogging() {
        try {
            URI shipped = DroppedLogLines.class.getResource("/log4j2.properties").toURI();
            LoggerContext context = new LoggerContext("dropped-lines-test", null, shipped);
            context.start();
            return context;
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A line whose text is made on the appender's thread, and only once the console is free again. */
    @AsynchronouslyFormattable
    private record StuckLine(CountDownLatch free) implements Message {

        @Override
        public String getFormattedMessage() {
            try {
                free.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "stuck";
        }

        @Override
        public Object[] getParameters() {
            return null;
        }

        @Override
        public Throwable getThrowable() {
            return null;
        }

        @Override
        @Deprecated
        public String getFormat() {
            return "stuck";
        }
    }
}
