package dev.caravan.provider.stream;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import dev.caravan.provider.Target;

/**
 * How long a streamed attempt may wait for its first content, learned per target (DESIGN §7). A target that
 * usually starts in 300 ms and has said nothing after a second is more likely stuck than slow, so it is given
 * {@code factor} times its own recent p99 rather than the configured limit; a fallback may answer long before that
 * limit. The learned deadline never goes below {@code floor} (so jitter on a fast target does not cut healthy
 * streams) nor above the configured limit. Until a target has {@code minSamples} recent measurements, the configured
 * limit applies: the provider's first-token timeout, or for a reasoning model (one that thinks before it answers,
 * declared with the {@code reasoning} capability) at least {@code reasoningDefault}.
 *
 * <p>Only first contents that arrived count: a stream cut for lateness is not a measurement, so a target that turns
 * slow goes back to its cold limit once its window of fast samples has aged out. Thread-safe.
 */
public final class FirstTokenDeadlines {

    /** Samples kept per target: enough for a p99, little enough to sort per request. */
    private static final int KEPT = 200;

    /**
     * @param floor            the shortest learned deadline
     * @param factor           the learned deadline is this many times the target's p99
     * @param minSamples       measurements needed before the deadline is learned rather than configured
     * @param window           measurements older than this are forgotten
     * @param reasoningDefault the cold limit (and the upper bound) for reasoning models
     */
    public record Settings(Duration floor, double factor, int minSamples, Duration window, Duration reasoningDefault) {
    }

    private record Sample(Instant at, long nanos) {
    }

    private final Settings settings;
    private final Predicate<String> reasoning;
    private final Clock clock;
    private final Map<Target, Deque<Sample>> samples = new ConcurrentHashMap<>();

    /** @param reasoning whether an upstream model reasons before it answers */
    public FirstTokenDeadlines(Settings settings, Predicate<String> reasoning, Clock clock) {
        this.settings = settings;
        this.reasoning = reasoning;
        this.clock = clock;
    }

    /** Records how long {@code target} took to its first content. */
    public void record(Target target, Duration firstContent) {
        Deque<Sample> kept = samples.computeIfAbsent(target, t -> new ArrayDeque<>());
        synchronized (kept) {
            kept.addLast(new Sample(clock.instant(), firstContent.toNanos()));
            while (kept.size() > KEPT) {
                kept.removeFirst();
            }
        }
    }

    /**
     * The first-content deadline of a stream on {@code target}.
     *
     * @param configured the provider's first-token timeout: the cold-start limit and the upper bound
     */
    public Duration deadline(Target target, Duration configured) {
        Duration limit = reasoning.test(target.model()) && settings.reasoningDefault().compareTo(configured) > 0
                ? settings.reasoningDefault() : configured;
        long[] recent = recent(target);
        if (recent.length < settings.minSamples()) {
            return limit;
        }
        Arrays.sort(recent);
        long p99 = recent[Math.max(0, (int) Math.ceil(recent.length * 0.99) - 1)];
        Duration learned = Duration.ofNanos((long) Math.min(Long.MAX_VALUE, p99 * settings.factor()));
        if (learned.compareTo(settings.floor()) < 0) {
            learned = settings.floor();
        }
        return learned.compareTo(limit) < 0 ? learned : limit;
    }

    private long[] recent(Target target) {
        Deque<Sample> kept = samples.get(target);
        if (kept == null) {
            return new long[0];
        }
        Instant oldest = clock.instant().minus(settings.window());
        synchronized (kept) {
            while (!kept.isEmpty() && kept.peekFirst().at().isBefore(oldest)) {
                kept.removeFirst();
            }
            return kept.stream().mapToLong(Sample::nanos).toArray();
        }
    }
}
