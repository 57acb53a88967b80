package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import dev.caravan.provider.Target;
import dev.caravan.routing.Candidate.Availability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ProviderScorerTest {

    private static final double NaN = Double.NaN;

    private final ProviderScorer scorer = new ProviderScorer();

    private static Candidate c(String provider, int priority, double cost, double latency, double success) {
        return Candidate.available(new Target(provider, "model-" + provider), priority, cost, latency, success);
    }

    private static Candidate withAvailability(Candidate c, Availability availability) {
        return new Candidate(c.target(), availability, c.priority(), c.estimatedCost(), c.latencyMillis(),
                c.successRate(), c.headroom());
    }

    private static List<String> order(List<ProviderScorer.Scored> ranked) {
        return ranked.stream().map(s -> s.candidate().target().provider()).toList();
    }

    private static double[] scores(List<ProviderScorer.Scored> ranked) {
        return ranked.stream().mapToDouble(ProviderScorer.Scored::score).toArray();
    }

    // ---------------------------------------------------------------- each policy's documented order

    static Stream<Arguments> policyOrders() {
        return Stream.of(
                Arguments.of("priority keeps configured order although the last is cheapest, fastest, most reliable",
                        RoutingPolicy.PRIORITY,
                        List.of(c("c", 2, 0.001, 10, 1.0), c("a", 0, 10.0, 5000, 0.5), c("b", 1, 0.01, 50, 0.9)),
                        List.of("a", "b", "c")),
                Arguments.of("priority ignores measurements even when the first has none",
                        RoutingPolicy.PRIORITY,
                        List.of(c("b", 1, 0.001, 10, 1.0), c("a", 0, NaN, NaN, NaN)),
                        List.of("a", "b")),
                Arguments.of("cost puts the cheapest first although it is last in priority",
                        RoutingPolicy.COST,
                        List.of(c("a", 0, 0.05, 500, 0.99), c("b", 1, 0.02, 500, 0.99), c("c", 2, 0.001, 500, 0.99)),
                        List.of("c", "b", "a")),
                Arguments.of("cost outweighs a much worse latency",
                        RoutingPolicy.COST,
                        List.of(c("a", 0, 0.01, 100, 0.99), c("b", 1, 0.001, 900, 0.99)),
                        List.of("b", "a")),
                Arguments.of("cost: among equal prices reliability comes next",
                        RoutingPolicy.COST,
                        List.of(c("a", 0, 0.01, 100, 0.80), c("b", 1, 0.01, 900, 0.99)),
                        List.of("b", "a")),
                Arguments.of("speed puts the lowest latency first although it is last in priority and dearest",
                        RoutingPolicy.SPEED,
                        List.of(c("a", 0, 0.001, 2000, 0.99), c("b", 1, 0.01, 900, 0.99), c("c", 2, 0.05, 150, 0.99)),
                        List.of("c", "b", "a")),
                Arguments.of("speed outweighs reliability",
                        RoutingPolicy.SPEED,
                        List.of(c("a", 0, 0.01, 1000, 1.0), c("b", 1, 0.01, 100, 0.7)),
                        List.of("b", "a")),
                Arguments.of("reliability puts the highest success rate first although it is second in priority",
                        RoutingPolicy.RELIABILITY,
                        List.of(c("a", 0, 0.01, 300, 0.80), c("b", 1, 0.01, 300, 0.999), c("c", 2, 0.01, 300, 0.95)),
                        List.of("b", "c", "a")),
                Arguments.of("reliability outweighs speed",
                        RoutingPolicy.RELIABILITY,
                        List.of(c("a", 0, 0.01, 100, 0.7), c("b", 1, 0.01, 1000, 0.99)),
                        List.of("b", "a")),
                Arguments.of("balanced: a target better on every measurement beats the first in priority",
                        RoutingPolicy.BALANCED,
                        List.of(c("a", 0, 0.03, 3000, 0.6), c("b", 1, 0.002, 200, 0.999)),
                        List.of("b", "a")),
                Arguments.of("balanced: a nearly as good first-priority target keeps its place",
                        RoutingPolicy.BALANCED,
                        List.of(c("c", 2, 0.03, 3000, 0.6), c("b", 1, 0.002, 200, 0.999), c("a", 0, 0.01, 300, 0.99)),
                        List.of("a", "b", "c")),
                Arguments.of("balanced weighs reliability above cost",
                        RoutingPolicy.BALANCED,
                        List.of(c("cheap", 0, 0.001, 300, 0.90), c("reliable", 0, 0.01, 300, 0.99)),
                        List.of("reliable", "cheap")),
                Arguments.of("balanced weighs reliability above speed",
                        RoutingPolicy.BALANCED,
                        List.of(c("fast", 0, 0.01, 100, 0.90), c("reliable", 0, 0.01, 900, 0.99)),
                        List.of("reliable", "fast")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policyOrders")
    void ranksInEachPolicysDocumentedOrder(String why, RoutingPolicy policy, List<Candidate> candidates,
            List<String> expected) {
        assertThat(order(scorer.rank(candidates, policy))).as(why).containsExactlyElementsOf(expected);
    }

    @Test
    void priorityPolicyFollowsConfiguredOrderWhateverTheMeasurements() {
        // every permutation of measurements over the same three priorities gives a, b, c
        double[][] measurements = {{0.001, 10, 1.0}, {0.01, 500, 0.9}, {0.1, 5000, 0.3}};
        int[][] permutations = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (int[] p : permutations) {
            List<Candidate> candidates = List.of(
                    c("c", 2, measurements[p[2]][0], measurements[p[2]][1], measurements[p[2]][2]),
                    c("a", 0, measurements[p[0]][0], measurements[p[0]][1], measurements[p[0]][2]),
                    c("b", 1, measurements[p[1]][0], measurements[p[1]][1], measurements[p[1]][2]));
            assertThat(order(scorer.rank(candidates, RoutingPolicy.PRIORITY)))
                    .as("permutation %s", Arrays.toString(p)).containsExactly("a", "b", "c");
        }
    }

    // ---------------------------------------------------------------- normalisation

    static Stream<Arguments> mixedCandidates() {
        List<List<Candidate>> sets = List.of(
                List.of(c("a", 0, 0.05, 500, 0.99), c("b", 1, 0.02, 900, 0.95), c("c", 2, 0.001, 150, 0.7)),
                List.of(c("a", 0, 0.0004, 2100, 0.999), c("b", 1, 0.0030, 340, 0.90), c("c", 2, 0.0011, 800, NaN),
                        c("d", 3, NaN, NaN, 0.5)),
                List.of(c("a", 0, 1.5, 40, 0.2), c("b", 1, 1.5, 41, 0.21)));
        List<Arguments> rows = new ArrayList<>();
        for (RoutingPolicy policy : RoutingPolicy.values()) {
            for (int i = 0; i < sets.size(); i++) {
                rows.add(Arguments.of(policy, i, sets.get(i)));
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} set {1}")
    @MethodSource("mixedCandidates")
    void scalingAllCostsChangesNeitherOrderNorScores(RoutingPolicy policy, int set, List<Candidate> candidates) {
        List<Candidate> thousandfold = candidates.stream()
                .map(x -> c(x.target().provider(), x.priority(), x.estimatedCost() * 1000, x.latencyMillis(),
                        x.successRate()))
                .toList();

        List<ProviderScorer.Scored> base = scorer.rank(candidates, policy);
        List<ProviderScorer.Scored> scaled = scorer.rank(thousandfold, policy);

        assertThat(order(scaled)).isEqualTo(order(base));
        double[] expected = scores(base);
        double[] actual = scores(scaled);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], within(1e-12));
        }
    }

    @ParameterizedTest(name = "{0} set {1}")
    @MethodSource("mixedCandidates")
    void measuringLatencyInSecondsInsteadOfMillisChangesNothing(RoutingPolicy policy, int set,
            List<Candidate> candidates) {
        List<Candidate> seconds = candidates.stream()
                .map(x -> c(x.target().provider(), x.priority(), x.estimatedCost(), x.latencyMillis() / 1000,
                        x.successRate()))
                .toList();
        List<ProviderScorer.Scored> base = scorer.rank(candidates, policy);
        List<ProviderScorer.Scored> scaled = scorer.rank(seconds, policy);
        assertThat(order(scaled)).isEqualTo(order(base));
        double[] expected = scores(base);
        double[] actual = scores(scaled);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], within(1e-12));
        }
    }

    @ParameterizedTest(name = "{0} set {1}")
    @MethodSource("mixedCandidates")
    void scoresLieWithinZeroAndOne(RoutingPolicy policy, int set, List<Candidate> candidates) {
        assertThat(scorer.rank(candidates, policy))
                .hasSize(candidates.size())
                .extracting(ProviderScorer.Scored::score)
                .allSatisfy(s -> assertThat(s).isBetween(0.0, 1.0));
    }

    @ParameterizedTest
    @EnumSource(RoutingPolicy.class)
    void bestOnEveryFactorScoresOneAndWorstOnEveryFactorScoresZero(RoutingPolicy policy) {
        List<ProviderScorer.Scored> ranked = scorer.rank(List.of(
                c("worst", 2, 0.09, 4000, 0.5), c("middle", 1, 0.02, 700, 0.9), c("best", 0, 0.001, 90, 1.0)),
                policy);

        assertThat(order(ranked)).containsExactly("best", "middle", "worst");
        assertThat(ranked.get(0).score()).isCloseTo(1.0, within(1e-12));
        assertThat(ranked.get(2).score()).isCloseTo(0.0, within(1e-12));
        assertThat(ranked.get(1).score()).isStrictlyBetween(0.0, 1.0);
    }

    static Stream<Arguments> goodnessTable() {
        return Stream.of(
                // values, lower is better, expected goodness
                Arguments.of(new double[] {1, 2, 3}, true, new double[] {1, 0.5, 0}),
                Arguments.of(new double[] {1, 2, 3}, false, new double[] {0, 0.5, 1}),
                Arguments.of(new double[] {10, 40, 20}, true, new double[] {1, 0, 2.0 / 3}),
                Arguments.of(new double[] {1, NaN, 3}, true, new double[] {1, 0.5, 0}),
                Arguments.of(new double[] {0.9, NaN, 1.0}, false, new double[] {0, 0.5, 1}),
                Arguments.of(new double[] {NaN, 100, 400, NaN}, true, new double[] {0.5, 1, 0, 0.5}),
                Arguments.of(new double[] {2, 2, NaN}, true, new double[] {1, 1, 0.5}),
                Arguments.of(new double[] {7, 7, 7}, true, new double[] {1, 1, 1}),
                Arguments.of(new double[] {NaN, NaN, NaN}, true, new double[] {1, 1, 1}),
                Arguments.of(new double[] {NaN, NaN}, false, new double[] {1, 1}),
                Arguments.of(new double[] {42}, true, new double[] {1}),
                Arguments.of(new double[] {}, true, new double[] {}));
    }

    @ParameterizedTest(name = "{0} lowerIsBetter={1} -> {2}")
    @MethodSource("goodnessTable")
    void goodnessNormalisesToZeroOneWithUnknownsNeutral(double[] values, boolean lowerIsBetter, double[] expected) {
        List<Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            candidates.add(c("p" + i, i, values[i], 0, 0));
        }
        double[] goodness = ProviderScorer.goodness(candidates, Candidate::estimatedCost, lowerIsBetter);
        assertThat(goodness).containsExactly(expected, within(1e-12));
    }

    // ---------------------------------------------------------------- unknown measurements

    static Stream<Arguments> unknownMeasurements() {
        return Stream.of(
                Arguments.of("a new target with unknown latency counts as fast as the fastest, priority breaking the tie",
                        RoutingPolicy.SPEED,
                        List.of(c("fast", 0, 0.01, 100, 0.99), c("new", 1, 0.01, NaN, 0.99),
                                c("slow", 2, 0.01, 1000, 0.99)),
                        List.of("fast", "new", "slow")),
                Arguments.of("a new target first in priority is tried, so that it gets measured at all",
                        RoutingPolicy.SPEED,
                        List.of(c("new", 0, 0.01, NaN, 0.99), c("fast", 1, 0.01, 100, 0.99),
                                c("slow", 2, 0.01, 1000, 0.99)),
                        List.of("new", "fast", "slow")),
                Arguments.of("a new target with unknown success rate counts as reliable as the best",
                        RoutingPolicy.RELIABILITY,
                        List.of(c("good", 0, 0.01, 300, 0.99), c("bad", 1, 0.01, 300, 0.40),
                                c("new", 2, 0.01, 300, NaN)),
                        List.of("good", "new", "bad")),
                Arguments.of("unknown cost is neither cheapest nor dearest",
                        RoutingPolicy.COST,
                        List.of(c("dear", 0, 0.09, 300, 0.99), c("unknown", 1, NaN, 300, 0.99),
                                c("cheap", 2, 0.001, 300, 0.99)),
                        List.of("cheap", "unknown", "dear")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unknownMeasurements")
    void unknownMeasurementsAreNeutral(String why, RoutingPolicy policy, List<Candidate> candidates,
            List<String> expected) {
        assertThat(order(scorer.rank(candidates, policy))).as(why).containsExactlyElementsOf(expected);
    }

    static Stream<Arguments> unmeasuredFactor() {
        List<Arguments> rows = new ArrayList<>();
        List<Candidate> base = List.of(c("a", 0, 0.02, 900, 0.95), c("b", 1, 0.01, 150, 0.99),
                c("c", 2, 0.05, 400, 0.70));
        UnaryOperator<Candidate> noCost = x -> c(x.target().provider(), x.priority(), NaN, x.latencyMillis(),
                x.successRate());
        UnaryOperator<Candidate> equalCost = x -> c(x.target().provider(), x.priority(), 0.03, x.latencyMillis(),
                x.successRate());
        UnaryOperator<Candidate> noLatency = x -> c(x.target().provider(), x.priority(), x.estimatedCost(), NaN,
                x.successRate());
        UnaryOperator<Candidate> equalLatency = x -> c(x.target().provider(), x.priority(), x.estimatedCost(), 250,
                x.successRate());
        UnaryOperator<Candidate> noSuccess = x -> c(x.target().provider(), x.priority(), x.estimatedCost(),
                x.latencyMillis(), NaN);
        UnaryOperator<Candidate> equalSuccess = x -> c(x.target().provider(), x.priority(), x.estimatedCost(),
                x.latencyMillis(), 0.9);
        for (RoutingPolicy policy : RoutingPolicy.values()) {
            rows.add(Arguments.of(policy, "cost", base.stream().map(noCost).toList(),
                    base.stream().map(equalCost).toList()));
            rows.add(Arguments.of(policy, "latency", base.stream().map(noLatency).toList(),
                    base.stream().map(equalLatency).toList()));
            rows.add(Arguments.of(policy, "success rate", base.stream().map(noSuccess).toList(),
                    base.stream().map(equalSuccess).toList()));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}: nobody measured {1}")
    @MethodSource("unmeasuredFactor")
    void aFactorNobodyMeasuredDecidesNothing(RoutingPolicy policy, String factor, List<Candidate> unmeasured,
            List<Candidate> allEqual) {
        // nobody measured it == everybody measured the same: the factor adds the same to every score
        List<ProviderScorer.Scored> a = scorer.rank(unmeasured, policy);
        List<ProviderScorer.Scored> b = scorer.rank(allEqual, policy);
        assertThat(order(a)).isEqualTo(order(b));
        assertThat(scores(a)).containsExactly(scores(b), within(1e-12));
    }

    @ParameterizedTest
    @EnumSource(RoutingPolicy.class)
    void withNothingMeasuredEveryPolicyFallsBackToPriority(RoutingPolicy policy) {
        List<Candidate> candidates = List.of(c("c", 2, NaN, NaN, NaN), c("a", 0, NaN, NaN, NaN),
                c("b", 1, NaN, NaN, NaN));
        assertThat(order(scorer.rank(candidates, policy))).containsExactly("a", "b", "c");
    }

    // ---------------------------------------------------------------- ties

    @ParameterizedTest
    @EnumSource(RoutingPolicy.class)
    void tiesGoToConfiguredPriority(RoutingPolicy policy) {
        // the same priority value for all, so the priority factor is also equal: every score ties
        List<Candidate> candidates = List.of(
                new Candidate(new Target("x", "m"), Availability.AVAILABLE, 7, 0.01, 300, 0.9, Double.NaN),
                new Candidate(new Target("y", "m"), Availability.AVAILABLE, 7, 0.01, 300, 0.9, Double.NaN),
                new Candidate(new Target("z", "m"), Availability.AVAILABLE, 7, 0.01, 300, 0.9, Double.NaN));
        List<ProviderScorer.Scored> ranked = scorer.rank(candidates, policy);
        assertThat(ranked).extracting(ProviderScorer.Scored::score).containsOnly(ranked.get(0).score());

        // distinct priorities, identical measurements, handed over in reverse order
        List<Candidate> reversed = List.of(c("c", 2, 0.01, 300, 0.9), c("b", 1, 0.01, 300, 0.9),
                c("a", 0, 0.01, 300, 0.9));
        assertThat(order(scorer.rank(reversed, policy))).containsExactly("a", "b", "c");
    }

    static Stream<Arguments> exactTiesAcrossFactors() {
        return Stream.of(
                // balanced: a is more reliable (0.3) and first (0.2), b cheaper (0.25) and faster (0.25): 0.5 each
                Arguments.of(RoutingPolicy.BALANCED, c("a", 0, 0.02, 900, 0.99), c("b", 1, 0.01, 100, 0.95)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exactTiesAcrossFactors")
    void anExactTieAcrossDifferentFactorsStillGoesToPriority(RoutingPolicy policy, Candidate a, Candidate b) {
        // with two candidates every goodness is 0 or 1, so these scores are equal in exact arithmetic
        List<ProviderScorer.Scored> ranked = scorer.rank(List.of(a, b), policy);
        assertThat(ranked.get(0).score()).isCloseTo(ranked.get(1).score(), within(1e-12));
        assertThat(order(ranked)).containsExactly("a", "b");
        assertThat(order(scorer.rank(List.of(b, a), policy))).containsExactly("a", "b");
    }

    // ---------------------------------------------------------------- availability

    static Stream<Arguments> unavailableByPolicy() {
        List<Arguments> rows = new ArrayList<>();
        for (Availability availability : Availability.values()) {
            if (availability == Availability.AVAILABLE) {
                continue;
            }
            for (RoutingPolicy policy : RoutingPolicy.values()) {
                rows.add(Arguments.of(availability, policy));
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} under {1}")
    @MethodSource("unavailableByPolicy")
    void anUnavailableCandidateIsNeverReturnedEvenWhenItWouldScoreBest(Availability availability,
            RoutingPolicy policy) {
        Candidate star = withAvailability(c("star", 0, 0.0001, 20, 1.0), availability);
        List<Candidate> candidates = List.of(star, c("b", 1, 0.02, 800, 0.9), c("c", 2, 0.05, 1500, 0.8));

        List<ProviderScorer.Scored> ranked = scorer.rank(candidates, policy);

        assertThat(order(ranked)).containsExactlyInAnyOrder("b", "c").doesNotContain("star");
        // as AVAILABLE the same candidate would have been first: leaving it out is the availability's doing
        assertThat(order(scorer.rank(List.of(withAvailability(star, Availability.AVAILABLE), candidates.get(1),
                candidates.get(2)), policy)).get(0)).isEqualTo("star");
    }

    @ParameterizedTest
    @EnumSource(value = Availability.class, names = "AVAILABLE", mode = EnumSource.Mode.EXCLUDE)
    void unavailableCandidatesDoNotStretchTheNormalisationOfTheOthers(Availability availability) {
        List<Candidate> available = List.of(c("a", 0, 0.02, 800, 0.9), c("b", 1, 0.05, 1500, 0.8));
        List<Candidate> withOutlier = new ArrayList<>(available);
        withOutlier.add(withAvailability(c("outlier", 2, 50.0, 90_000, 0.01), availability));

        for (RoutingPolicy policy : RoutingPolicy.values()) {
            List<ProviderScorer.Scored> alone = scorer.rank(available, policy);
            List<ProviderScorer.Scored> beside = scorer.rank(withOutlier, policy);
            assertThat(order(beside)).as("%s", policy).isEqualTo(order(alone));
            assertThat(scores(beside)).as("%s", policy).containsExactly(scores(alone), within(1e-12));
        }
    }

    @ParameterizedTest
    @EnumSource(RoutingPolicy.class)
    void nothingAvailableRanksNothing(RoutingPolicy policy) {
        List<Candidate> candidates = new ArrayList<>();
        int i = 0;
        for (Availability availability : Availability.values()) {
            if (availability != Availability.AVAILABLE) {
                candidates.add(withAvailability(c("p" + i, i, 0.01, 100, 1.0), availability));
                i++;
            }
        }
        assertThat(scorer.rank(candidates, policy)).isEmpty();
        assertThat(scorer.rank(List.of(), policy)).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void aTargetCloseToItsRateLimitIsScoredDownUnderEveryWeighingPolicy() {
        // priority keeps the configured order by definition; the 429 cooldown steps in there
        for (RoutingPolicy policy : EnumSet.complementOf(EnumSet.of(RoutingPolicy.PRIORITY))) {
            Candidate nearLimit = new Candidate(new Target("first", "m"), Availability.AVAILABLE, 0, 0.01, 100, 1.0, 0.02);
            Candidate plenty = new Candidate(new Target("second", "m"), Availability.AVAILABLE, 1, 0.01, 100, 1.0, 0.9);

            var ranked = new ProviderScorer().rank(List.of(nearLimit, plenty), policy);

            assertThat(ranked.getFirst().candidate().target().provider()).as(policy.label()).isEqualTo("second");
        }
    }

    private static Candidate loaded(String provider, int priority, double load) {
        return new Candidate(new Target(provider, "m"), Availability.AVAILABLE, priority, 0.01, 100, 1.0, Double.NaN,
                load);
    }

    @org.junit.jupiter.api.Test
    void aTargetWhosePoolIsNearlyFullIsScoredDownUnderEveryWeighingPolicy() {
        for (RoutingPolicy policy : EnumSet.complementOf(EnumSet.of(RoutingPolicy.PRIORITY))) {
            var ranked = new ProviderScorer().rank(List.of(loaded("first", 0, 0.95), loaded("second", 1, 0.1)),
                    policy);

            assertThat(order(ranked)).as(policy.label()).containsExactly("second", "first");
        }
        // priority keeps the configured order until the pool is full (then the filter takes the target out)
        assertThat(order(new ProviderScorer().rank(List.of(loaded("first", 0, 0.95), loaded("second", 1, 0.1)),
                RoutingPolicy.PRIORITY))).containsExactly("first", "second");
    }

    @org.junit.jupiter.api.Test
    void poolLoadScalesTheScoreLinearlyFromTheFloorToAQuarterWhenFull() {
        var ranked = new ProviderScorer().rank(List.of(loaded("a", 0, 0.5), loaded("b", 0, 0.875),
                loaded("c", 0, 1.0), loaded("d", 0, 3.0), loaded("e", 0, Double.NaN)), RoutingPolicy.BALANCED);

        var byProvider = ranked.stream().collect(java.util.stream.Collectors.toMap(
                s -> s.candidate().target().provider(), ProviderScorer.Scored::score));
        assertThat(byProvider.get("a")).isEqualTo(1.0, within(1e-9));   // under the floor: unchanged
        assertThat(byProvider.get("e")).isEqualTo(1.0, within(1e-9));   // unknown: unchanged
        assertThat(byProvider.get("b")).isEqualTo(0.625, within(1e-9)); // half way from the floor to full
        assertThat(byProvider.get("c")).isEqualTo(0.25, within(1e-9));
        assertThat(byProvider.get("d")).isEqualTo(0.25, within(1e-9));  // queued calls weigh no more than full
    }

    @org.junit.jupiter.api.Test
    void headroomAboveTheFloorOrUnknownChangesNothing() {
        Candidate a = new Candidate(new Target("first", "m"), Availability.AVAILABLE, 0, 0.01, 100, 1.0, 0.25);
        Candidate b = new Candidate(new Target("second", "m"), Availability.AVAILABLE, 1, 0.01, 100, 1.0, Double.NaN);

        var ranked = new ProviderScorer().rank(List.of(a, b), RoutingPolicy.BALANCED);

        assertThat(ranked.get(0).candidate().target().provider()).isEqualTo("first");
        assertThat(ranked.get(0).score()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-9)); // not scaled
        assertThat(ranked.get(1).score()).isEqualTo(0.8, org.assertj.core.data.Offset.offset(1e-9)); // priority only
    }
}
