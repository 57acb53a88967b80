package dev.caravan;

import java.util.ArrayDeque;
import java.util.Deque;

import org.apache.camel.StaticService;
import org.apache.camel.spi.ReactiveExecutor;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel's reactive executor, the queue each thread runs a route's steps through, in the order and nesting of Camel's
 * own ({@code DefaultReactiveExecutor} of Camel 4.18, whose worker this follows line for line). Set on the context by
 * {@link CaravanConfiguration} before any route is built: each step keeps the executor it was built with.
 *
 * <p>Why not Camel's: every step of every request takes two or three turns of this queue (50 per chat completion), and
 * Camel's worker asks its logger whether tracing is on at each (about 1 % of the event loops' samples in Log4j's level
 * check) and keeps its thread-confined state in {@code volatile} fields, a memory fence per write. Here its state is
 * plain fields (one thread only ever reaches its worker), and nothing is traced: a step's own logging is untouched,
 * and Camel's trace of its queue is gone with the queue.
 *
 * <p>The thread's worker is found as Camel finds it, in a {@code ThreadLocal}. A Netty {@code FastThreadLocal} saved
 * nothing measurable, and each one takes a slot on every thread that Netty never gives back, while the shutdown
 * clears only the stopping thread's worker: a JVM that starts many contexts kept every stopped one's workers alive.
 * A {@code ThreadLocal}'s entries are let go once the executor is collected (each thread's map drops stale ones).
 */
final class ReactiveSteps extends ServiceSupport implements ReactiveExecutor, StaticService {

    private static final Logger LOG = LoggerFactory.getLogger(ReactiveSteps.class);

    private final ThreadLocal<Worker> workers = ThreadLocal.withInitial(Worker::new);

    @Override
    public void schedule(Runnable runnable) {
        workers.get().schedule(runnable, false, false, false);
    }

    @Override
    public void scheduleMain(Runnable runnable) {
        workers.get().schedule(runnable, true, true, false);
    }

    @Override
    public void scheduleSync(Runnable runnable) {
        workers.get().schedule(runnable, false, true, true);
    }

    @Override
    public void scheduleQueue(Runnable runnable) {
        workers.get().queue.add(runnable);
    }

    @Override
    public boolean executeFromQueue() {
        return workers.get().executeFromQueue();
    }

    /** No statistics are kept: Camel's are counters updated on every turn, read by JMX only, which is off. */
    @Override
    public void setStatisticsEnabled(boolean statisticsEnabled) {
        if (statisticsEnabled) {
            LOG.info("Reactive executor statistics are not kept by Caravan's executor");
        }
    }

    @Override
    public boolean isStatisticsEnabled() {
        return false;
    }

    @Override
    protected void doShutdown() {
        workers.remove();
    }

    /** One thread's queue: a task scheduled while the thread runs the queue waits its turn, as in Camel's. */
    private static final class Worker {

        private Deque<Runnable> queue = new ArrayDeque<>();
        private Deque<Deque<Runnable>> back;
        private boolean running;

        void schedule(Runnable runnable, boolean first, boolean main, boolean sync) {
            if (main && !queue.isEmpty()) {
                // a new main flow (a consumer's exchange) runs to its end before the queue it interrupted
                if (back == null) {
                    back = new ArrayDeque<>();
                }
                back.push(queue);
                queue = new ArrayDeque<>();
            }
            if (first) {
                queue.addFirst(runnable);
            } else {
                queue.addLast(runnable);
            }
            if (!running || sync) {
                running = true;
                try {
                    for (;;) {
                        Runnable polled = queue.pollFirst();
                        if (polled == null) {
                            if (back != null && !back.isEmpty()) {
                                queue = back.pollFirst();
                                continue;
                            }
                            break;
                        }
                        run(polled);
                    }
                } finally {
                    running = false;
                }
            }
        }

        boolean executeFromQueue() {
            Runnable polled = queue != null ? queue.pollFirst() : null;
            if (polled == null) {
                return false;
            }
            run(polled);
            return true;
        }

        private static void run(Runnable polled) {
            try {
                polled.run();
            } catch (Exception e) {
                LOG.warn("Error executing reactive work due to {}. This exception is ignored.", e.getMessage(), e);
            }
        }
    }
}
