package dev.caravan.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.caravan.metrics.LazyMeter;
import dev.caravan.provider.Target;
import io.micrometer.core.instrument.Counter;

/**
 * Each alias's targets as handles that hold what a request reads and writes of them: the boards ({@link
 * TargetBoards.Board}), the target's meters, its output-length average, the alias's served counter. A request finds
 * its alias once per step and reaches each target through it, where it used to look the target's (or its provider's)
 * part of each board, meter and average up again at every use: some fifteen map look-ups per request for an alias of
 * one target.
 *
 * <p>The handles are made once per configuration: the catalog's aliases and targets are read at start and stay as
 * they are for the gateway's life (a route reload in the dev profile keeps the beans, and with them these handles).
 * They hold no state that changes: health, breaker state, keys' rests, latency and rate-limit reports are read from
 * the boards' live objects at each use, so a provider marked down or back up, a breaker opened or closed, a key put
 * to rest or back to work is seen at the next request as before.
 */
final class TargetLines {

    /**
     * One target of one alias.
     *
     * @param served the alias's count of requests this target served
     */
    record Line(Target target, TargetBoards.Board board, RoutingMeters.TargetMeters meters,
            OutputTokens.Average output, LazyMeter<Counter> served) {
    }

    /** An alias's lines in configured order, and the meters of its served requests. */
    static final class Alias {

        private final String name;
        private final List<Line> lines;
        private final List<Target> targets;
        private final OutcomeMeters.AliasMeters meters;
        private final TargetLines all;

        private Alias(String name, List<Line> lines, List<Target> targets, OutcomeMeters.AliasMeters meters,
                TargetLines all) {
            this.name = name;
            this.lines = lines;
            this.targets = targets;
            this.meters = meters;
            this.all = all;
        }

        String name() {
            return name;
        }

        List<Line> lines() {
            return lines;
        }

        /** The alias's targets, as the catalog lists them. */
        List<Target> targets() {
            return targets;
        }

        OutcomeMeters.AliasMeters meters() {
            return meters;
        }

        /**
         * The line of {@code target}: found in the alias's few lines (the same instances the catalog gave the
         * request, so nearly always by identity); a target outside the alias gets a line made for the call.
         */
        Line line(Target target) {
            for (int i = 0; i < lines.size(); i++) { // indexed: an unmodifiable list's iterator is two objects a look-up
                Line line = lines.get(i);
                if (line.target() == target) {
                    return line;
                }
            }
            for (Line line : lines) {
                if (line.target().equals(target)) {
                    return line;
                }
            }
            return all.line(name, target);
        }
    }

    private final TargetBoards boards;
    private final RoutingMeters meters;
    private final OutputTokens outputTokens;
    private final Map<String, Alias> aliases = new ConcurrentHashMap<>();

    TargetLines(TargetBoards boards, RoutingMeters meters, OutputTokens outputTokens) {
        this.boards = boards;
        this.meters = meters;
        this.outputTokens = outputTokens;
    }

    /**
     * The alias's handle. Kept only for a configured alias (a name a caller made up has no targets, and is not worth
     * remembering: callers could grow the map without bound).
     */
    Alias alias(String alias) {
        Alias known = aliases.get(alias);
        if (known != null) {
            return known;
        }
        List<Target> targets = boards.targets(alias);
        if (targets.isEmpty()) {
            return make(alias, targets);
        }
        return aliases.computeIfAbsent(alias, a -> make(a, targets));
    }

    private Alias make(String alias, List<Target> targets) {
        List<Line> lines = new ArrayList<>(targets.size());
        for (Target target : targets) {
            lines.add(line(alias, target));
        }
        return new Alias(alias, Collections.unmodifiableList(lines), targets, meters.alias(alias), this);
    }

    private Line line(String alias, Target target) {
        return new Line(target, boards.board(target), meters.of(target), outputTokens.of(target),
                new LazyMeter<>(() -> meters.served(alias, target)));
    }
}
