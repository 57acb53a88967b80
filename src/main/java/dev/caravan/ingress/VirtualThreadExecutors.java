package dev.caravan.ingress;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

import io.vertx.core.spi.ExecutorServiceFactory;

/**
 * Makes Vert.x's worker pool virtual. The HTTP ingress runs each exchange on that pool until it completes,
 * so a fixed pool of platform threads (20 by default) would cap how many slow LLM calls are in flight.
 * Registered through {@code META-INF/services/io.vertx.core.spi.VertxServiceProvider}.
 */
public final class VirtualThreadExecutors implements ExecutorServiceFactory {

    @Override
    public ExecutorService createExecutor(ThreadFactory threadFactory, Integer concurrency, Integer maxConcurrency) {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("vertx-virtual-", 0).factory());
    }
}
