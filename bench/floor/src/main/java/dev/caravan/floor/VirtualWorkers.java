package dev.caravan.floor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

import io.vertx.core.spi.ExecutorServiceFactory;

/** Vert.x's worker pool on virtual threads, as in the gateway (dev.caravan.ingress.VirtualThreadExecutors). */
public final class VirtualWorkers implements ExecutorServiceFactory {

    @Override
    public ExecutorService createExecutor(ThreadFactory threadFactory, Integer concurrency, Integer maxConcurrency) {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("vertx-virtual-", 0).factory());
    }
}
