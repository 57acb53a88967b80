package dev.caravan.console;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import dev.caravan.console.MeterSampler.Histograms;
import dev.caravan.console.MeterSampler.Sample;
import dev.caravan.health.Cooldowns;
import dev.caravan.health.StatusBoard;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.Target;
import dev.caravan.simulator.Fault;
import dev.caravan.simulator.Simulator;

/** Builds the console's {@link Snapshot} from the status board, the event rings and the meter readings. */
public final class SnapshotBuilder {

    private static final int TRANSITIONS_SHOWN = 8;
    private static final int CHART_POINTS = 90;

    private final ProviderCatalog catalog;
    private final StatusBoard status;
    private final Cooldowns cooldowns;
    private final ProviderEvents events;
    private final MeterSampler sampler;
    private final Supplier<Simulator> simulator;
    private final ConsoleSettings settings;
    private final Clock clock;

    SnapshotBuilder(ProviderCatalog catalog, StatusBoard status, Cooldowns cooldowns, ProviderEvents events,
            MeterSampler sampler, Supplier<Simulator> simulator, ConsoleSettings settings, Clock clock) {
        this.catalog = catalog;
        this.status = status;
        this.cooldowns = cooldowns;
        this.events = events;
        this.sampler = sampler;
        this.simulator = simulator;
        this.settings = settings;
        this.clock = clock;
    }

    public Snapshot build() {
        Instant now = clock.instant();
        Simulator sim = simulator.get();
        List<StatusBoard.ProviderStatus> statuses = status.providers();
        List<Snapshot.Provider> providers = new ArrayList<>();
        for (StatusBoard.ProviderStatus p : statuses) {
            providers.add(provider(p, now, sim));
        }
        List<Sample> samples = sampler.samples();
        TrafficView.Window window = TrafficView.window(samples, settings.rateWindow());
        return new Snapshot(now, settings.rateWindow().toSeconds(), sim != null, providers, targets(window, statuses),
                events.failovers(), aliases(window), series(samples));
    }

    private Snapshot.Provider provider(StatusBoard.ProviderStatus p, Instant now, Simulator sim) {
        ProviderSettings settings = catalog.provider(p.id());
        List<Snapshot.Key> keys = new ArrayList<>();
        for (int k = 0; k < settings.keys().size(); k++) {
            String reason = cooldowns.reason(p.id(), k).map(r -> r.name().toLowerCase(Locale.ROOT)).orElse(null);
            keys.add(new Snapshot.Key(maskedKey(k, settings.keys().get(k)), p.cooldownMillis().get(k), reason,
                    p.rateLimits().get(k)));
        }
        Instant breakerSince = events.since(p.id(), ProviderEvents.BREAKER);
        Fault fault = sim != null && sim.has(p.id()) ? sim.provider(p.id()).fault() : null;
        return new Snapshot.Provider(p, healthReason(p), events.since(p.id(), ProviderEvents.HEALTH), breakerSince,
                Duration.between(breakerSince, now).toMillis(), keys,
                events.transitionsOf(p.id(), TRANSITIONS_SHOWN), fault == null || fault.equals(Fault.none()) ? null : fault);
    }

    /** Which key it is, without revealing it: its position and, for a long key, its last four characters. */
    static String maskedKey(int index, String key) {
        return "key " + (index + 1) + (key.length() >= 12 ? " …" + key.substring(key.length() - 4) : "");
    }

    static String healthReason(StatusBoard.ProviderStatus p) {
        String last = p.lastProbeError() == null ? "" : "; last: " + p.lastProbeError();
        if ("open".equals(p.breaker()) && p.healthReason() != null) {
            // down with an open breaker, whether or not its model listing answers (it can while completions fail)
            return p.healthReason() + (p.failedProbes() == 0 ? "; its model listing answers"
                    : "; " + p.failedProbes() + " listing probe(s) failed" + last);
        }
        return switch (p.health()) {
            case "up" -> p.failedProbes() > 0 ? p.failedProbes() + " probe(s) failed since it last answered" + last
                    : "its model listing answers" + (p.lastProbeError() == null ? "" : "; " + p.lastProbeError());
            case "down" -> p.failedProbes() + " probes failed in a row" + last;
            default -> p.failedProbes() == 0 ? "not probed yet" : p.failedProbes() + " probe(s) failed" + last;
        };
    }

    private List<Snapshot.TargetTraffic> targets(TrafficView.Window window, List<StatusBoard.ProviderStatus> statuses) {
        List<Histograms> readings = sampler.histograms();
        Histograms latest = readings.isEmpty() ? null : readings.getLast();
        Histograms base = readings.size() < 2 ? null : readings.getFirst();
        for (Histograms h : readings) {
            if (latest != null && h.at().plus(settings.rateWindow()).isAfter(latest.at())) {
                break;
            }
            base = h;
        }
        Map<String, StatusBoard.TargetStatus> latency = new LinkedHashMap<>();
        statuses.forEach(p -> p.targets().forEach(t -> latency.put(p.id() + ":" + t.model(), t)));
        List<Snapshot.TargetTraffic> all = new ArrayList<>();
        for (Target target : targets()) {
            long ok = 0;
            long counted = 0;
            Map<String, Long> failures = new LinkedHashMap<>();
            if (window != null) {
                ok = Math.round(window.delta(MeterSampler.key(Meters.ATTEMPTS, target.provider(), target.model(), "ok")));
                counted = ok;
                for (FailureClass c : FailureClass.values()) {
                    long n = Math.round(window.delta(MeterSampler.key(Meters.ATTEMPTS, target.provider(),
                            target.model(), c.label())));
                    if (n > 0) {
                        failures.put(c.label(), n);
                        counted += c == FailureClass.CANCELLED ? 0 : n;
                    }
                }
            }
            long attempts = ok + failures.values().stream().mapToLong(Long::longValue).sum();
            double perSecond = window == null ? 0 : round(attempts / window.seconds());
            StatusBoard.TargetStatus measured = latency.get(target.toString());
            all.add(new Snapshot.TargetTraffic(target.provider(), target.model(), perSecond, attempts,
                    counted == 0 ? null : round((double) ok / counted), failures.isEmpty() ? null : failures,
                    measured == null ? null : measured.latencyMillis(), ttft(target, base, latest)));
        }
        return all;
    }

    private static Map<String, Double> ttft(Target target, Histograms base, Histograms latest) {
        if (latest == null || !latest.buckets().containsKey(target)) {
            return null;
        }
        MeterSampler.Histogram from = base == null || base == latest ? null : base.buckets().get(target);
        MeterSampler.Histogram to = latest.buckets().get(target);
        double p50 = TrafficView.quantile(from, to, 0.5);
        if (Double.isNaN(p50)) {
            return null;
        }
        return Map.of("p50", round(p50), "p95", round(TrafficView.quantile(from, to, 0.95)),
                "p99", round(TrafficView.quantile(from, to, 0.99)));
    }

    private List<Snapshot.AliasSplit> aliases(TrafficView.Window window) {
        List<Snapshot.AliasSplit> all = new ArrayList<>();
        catalog.aliases().forEach((alias, targets) -> {
            Map<String, Long> served = new LinkedHashMap<>();
            for (Target t : targets) {
                served.put(t.toString(), window == null ? 0
                        : Math.round(window.delta(MeterSampler.key(Meters.SERVED, alias, t.provider(), t.model()))));
            }
            long total = served.values().stream().mapToLong(Long::longValue).sum();
            List<Snapshot.Share> split = new ArrayList<>();
            served.forEach((t, n) -> split.add(new Snapshot.Share(t, n, total == 0 ? 0 : round((double) n / total))));
            all.add(new Snapshot.AliasSplit(alias, total, split));
        });
        return all;
    }

    private Snapshot.Series series(List<Sample> samples) {
        Duration step = settings.history().dividedBy(CHART_POINTS);
        if (step.compareTo(settings.sampleInterval()) < 0) {
            step = settings.sampleInterval();
        }
        List<Sample> points = TrafficView.everyStep(samples, step);
        List<Long> times = new ArrayList<>();
        Map<String, List<Double>> tokens = new LinkedHashMap<>();
        Map<String, List<Double>> cost = new LinkedHashMap<>();
        catalog.providers().forEach(p -> {
            tokens.put(p.id(), new ArrayList<>());
            cost.put(p.id(), new ArrayList<>());
        });
        for (int i = 1; i < points.size(); i++) {
            Sample from = points.get(i - 1);
            Sample to = points.get(i);
            times.add(to.at().getEpochSecond());
            for (String provider : tokens.keySet()) {
                tokens.get(provider).add(sum(from, to, Meters.TOKENS, provider));
                cost.get(provider).add(sum(from, to, Meters.COST, provider));
            }
        }
        return new Snapshot.Series(step.toSeconds(), times, tokens, cost);
    }

    /** The growth of every counter of {@code meter} whose provider tag (the first) is {@code provider}. */
    private static double sum(Sample from, Sample to, String meter, String provider) {
        double total = 0;
        for (var e : to.counters().entrySet()) {
            List<String> key = e.getKey();
            if (key.get(0).equals(meter) && key.get(1).equals(provider)) {
                total += Math.max(0, e.getValue() - from.get(key));
            }
        }
        return meter.equals(Meters.COST) ? total : Math.round(total);
    }

    private Set<Target> targets() {
        Set<Target> targets = new LinkedHashSet<>();
        catalog.aliases().values().forEach(targets::addAll);
        return targets;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
