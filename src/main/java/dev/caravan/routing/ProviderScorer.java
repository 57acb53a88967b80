package dev.caravan.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Ranks the candidates of one request. Pure: it sees only the candidates it is given.
 *
 * <p>Each factor is normalised across the available candidates to a goodness between 0 and 1 (lower cost,
 * lower latency, higher success rate and earlier priority are better). A factor nobody has measured yet, or
 * that is equal for all, is 1 for all and so decides nothing. A target whose latency or success rate is not
 * measured yet counts as good as the best measured one, so that it gets traffic and so a measurement: scored
 * lower, it would never be tried and never measured. An unknown cost counts as middling (0.5), neither
 * cheapest nor dearest. Ties go to configured priority.
 *
 * <p>Under every policy but priority (which keeps the configured order, leaving 429s to the cooldowns), a target
 * whose key has less than {@link #HEADROOM_FLOOR} of its rate limit left (as the
 * provider's own headers said) has its score scaled down in proportion, to a quarter at none left: it gets less
 * traffic before it starts refusing with 429s. Likewise a target whose provider's connection pool is more than
 * {@link #LOAD_FLOOR} in use is scaled down in proportion, to a quarter when full: calls spread to the others before
 * they would queue for a connection (a full pool keeps the target out altogether: {@link CandidateFilter}).
 */
public final class ProviderScorer {

    /** Below this share of its rate limit left, a target's score shrinks. */
    static final double HEADROOM_FLOOR = 0.2;

    /** Above this share of its connection pool in use, a target's score shrinks. */
    static final double LOAD_FLOOR = 0.75;

    public record Scored(Candidate candidate, double score) {
    }

    /** Best first: scores equal but for floating-point rounding are a tie, and a tie goes to configured priority. */
    private static final Comparator<Scored> BEST_FIRST = Comparator.comparingLong((Scored s) -> Math.round(
            s.score() * 1e9)).reversed().thenComparingInt(s -> s.candidate().priority());

    /** The available candidates, best first; every candidate that is not {@code AVAILABLE} is left out. */
    public List<Scored> rank(List<Candidate> candidates, RoutingPolicy policy) {
        List<Candidate> available = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            if (c.availability() == Candidate.Availability.AVAILABLE) {
                available.add(c);
            }
        }
        double[] cost = goodness(available, Candidate::estimatedCost, true, 0.5);
        double[] speed = goodness(available, Candidate::latencyMillis, true, 1);
        double[] reliability = goodness(available, Candidate::successRate, false, 1);
        double[] priority = goodness(available, c -> c.priority(), true);
        List<Scored> scored = new ArrayList<>(available.size());
        for (int i = 0; i < available.size(); i++) {
            double score = policy.cost * cost[i] + policy.speed * speed[i]
                    + policy.reliability * reliability[i] + policy.priority * priority[i];
            double headroom = available.get(i).headroom();
            if (policy != RoutingPolicy.PRIORITY && headroom < HEADROOM_FLOOR) { // false for NaN: unknown is no change
                score *= 0.25 + 0.75 * headroom / HEADROOM_FLOOR;
            }
            double load = Math.min(1, available.get(i).load());
            if (policy != RoutingPolicy.PRIORITY && load > LOAD_FLOOR) { // false for NaN: unknown is no change
                score *= 1 - 0.75 * (load - LOAD_FLOOR) / (1 - LOAD_FLOOR);
            }
            scored.add(new Scored(available.get(i), score));
        }
        scored.sort(BEST_FIRST);
        return scored;
    }

    static double[] goodness(List<Candidate> candidates, ToDoubleFunction<Candidate> factor, boolean lowerIsBetter) {
        return goodness(candidates, factor, lowerIsBetter, 0.5);
    }

    static double[] goodness(List<Candidate> candidates, ToDoubleFunction<Candidate> factor, boolean lowerIsBetter,
            double unknown) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < candidates.size(); i++) { // indexed: no iterator per factor and request
            double v = factor.applyAsDouble(candidates.get(i));
            if (!Double.isNaN(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        double[] goodness = new double[candidates.size()];
        for (int i = 0; i < goodness.length; i++) {
            double v = factor.applyAsDouble(candidates.get(i));
            if (min > max) {
                goodness[i] = 1; // nobody measured: the factor decides nothing
            } else if (Double.isNaN(v)) {
                goodness[i] = unknown;
            } else if (max == min) {
                goodness[i] = 1;
            } else {
                double normalised = (v - min) / (max - min);
                goodness[i] = lowerIsBetter ? 1 - normalised : normalised;
            }
        }
        return goodness;
    }
}
