package dev.caravan.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.function.IntToLongFunction;

import dev.caravan.chat.ChatRequest;
import dev.caravan.cost.CostEstimate;
import dev.caravan.cost.CostEstimator;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.provider.Target;

/**
 * What a request is expected to cost, and how large its prompt is, on each target of its alias: each target's
 * {@link CostEstimate} is counted the first time something asks for it, and kept. What can be settled without the
 * count is: whether the prompt fits a context window, by a ceiling on the count made without tokenizing
 * ({@link #fits}); and the cost of a target without a price, which is unknown whatever the prompt ({@link #usd}).
 * Every answer is the one a count made up front would give.
 *
 * <p>A request's routing decisions are taken one after another, but a hedge's two ends may ask from two threads: counts
 * are made one at a time (they share the memo of models counted).
 */
public final class Estimates {

    private final List<Target> targets;
    private final CostEstimate[] counted;
    /** Ceilings on prompt plus expected output, made when first asked; 0 until then. */
    private final long[] ceilings;
    /**
     * How a target is counted, its ceiling made and its price known: null once every target is counted. They hold
     * the request, its targets' averages and the memo of models counted, which the routing state would otherwise keep
     * for the whole call (0.4 KB of a call in flight measured, bench/README.md "What a call in flight holds"). Set to
     * null under the lock only; read without it, a null read means every target is counted, and a stale one still
     * answers.
     */
    private IntFunction<CostEstimate> count;
    private IntToLongFunction ceiling;
    private IntPredicate priced;
    /** Targets not counted yet; guarded by this. */
    private int uncounted;

    private Estimates(List<Target> targets, CostEstimate[] counted, IntFunction<CostEstimate> count,
            IntToLongFunction ceiling, IntPredicate priced) {
        this.targets = targets;
        this.counted = counted;
        this.ceilings = new long[targets.size()];
        for (CostEstimate known : counted) {
            if (known == null) {
                uncounted++;
            }
        }
        if (uncounted > 0) {
            this.count = count;
            this.ceiling = ceiling;
            this.priced = priced;
        }
    }

    /** Estimates made already, one for each target they name. */
    public static Estimates of(Map<Target, CostEstimate> made) {
        List<Target> targets = new ArrayList<>(made.keySet());
        CostEstimate[] counted = new CostEstimate[targets.size()];
        for (int i = 0; i < counted.length; i++) {
            counted[i] = made.get(targets.get(i));
        }
        return new Estimates(targets, counted, i -> counted[i], i -> {
            CostEstimate e = counted[i];
            return (long) e.promptTokens() + e.expectedOutputTokens();
        }, i -> counted[i].usd() != null);
    }

    /**
     * The estimates of {@code request} on {@code targets}, each counted by {@code costs} when first asked for; one
     * tokenizer run per model. The targets' average answers are read now, so that a count made later assumes what a
     * count made now would.
     *
     * @param dialects each target's provider's dialect
     * @param averages each target's recent average completion tokens
     */
    static Estimates of(ChatRequest request, List<Target> targets, Function<Target, String> dialects,
            Function<Target, OptionalDouble> averages, CostEstimator costs) {
        OptionalDouble[] measured = new OptionalDouble[targets.size()];
        for (int i = 0; i < measured.length; i++) {
            measured[i] = averages.apply(targets.get(i));
        }
        // one model at two providers is counted once; an alias of one target needs no memo
        Map<Object, TokenEstimator.Estimate> models = targets.size() > 1 ? new HashMap<>() : null;
        return counted(targets,
                i -> costs.estimate(request, targets.get(i), dialects.apply(targets.get(i)), measured[i], models),
                i -> costs.ceiling(request, targets.get(i), dialects.apply(targets.get(i)), measured[i]),
                i -> costs.priced(targets.get(i)));
    }

    /**
     * Estimates for {@code targets}, each made by {@code count} (the target's index) when first asked for.
     *
     * @param ceiling a ceiling on the count's prompt tokens plus expected output tokens, cheaper than counting
     * @param priced  whether a target has a price, so that its estimate's {@code usd} is not null
     */
    static Estimates counted(List<Target> targets, IntFunction<CostEstimate> count, IntToLongFunction ceiling,
            IntPredicate priced) {
        return new Estimates(targets, new CostEstimate[targets.size()], count, ceiling, priced);
    }

    /** The estimate for {@code target}, counted now if it was not yet; null for a target not of the alias. */
    public CostEstimate get(Target target) {
        int i = targets.indexOf(target);
        return i < 0 ? null : counted(i);
    }

    private CostEstimate counted(int i) {
        CostEstimate known = counted[i];
        return known != null ? known : count(i);
    }

    private synchronized CostEstimate count(int i) {
        CostEstimate known = counted[i];
        if (known == null) {
            known = count.apply(i);
            counted[i] = known;
            if (--uncounted == 0) {
                count = null;
                ceiling = null;
                priced = null;
            }
        }
        return known;
    }

    /**
     * Whether the prompt and the answer it expects fit {@code window} tokens on {@code target} (true for a target not
     * of the alias, which has no estimate to refuse it by): settled by the ceiling when it fits, counted otherwise.
     */
    public boolean fits(Target target, long window) {
        int i = targets.indexOf(target);
        if (i < 0) {
            return true;
        }
        CostEstimate known = counted[i];
        IntToLongFunction ceiling = this.ceiling;
        if (known == null && ceiling != null) {
            long most = ceilings[i];
            if (most == 0) {
                most = Math.max(1, ceiling.applyAsLong(i));
                ceilings[i] = most;
            }
            if (most <= window) {
                return true;
            }
        }
        if (known == null) {
            known = counted(i);
        }
        return (long) known.promptTokens() + known.expectedOutputTokens() <= window;
    }

    /** The expected cost on {@code target}; null when it has no price (nothing is counted then) or is not of the alias. */
    public Double usd(Target target) {
        int i = targets.indexOf(target);
        if (i < 0) {
            return null;
        }
        CostEstimate known = counted[i];
        IntPredicate priced = this.priced;
        if (known == null && priced != null && !priced.test(i)) {
            return null;
        }
        return counted(i).usd();
    }

    /** How many targets there are estimates for. */
    public int size() {
        return targets.size();
    }

    /** Every target's estimate, all counted. */
    public List<CostEstimate> all() {
        List<CostEstimate> all = new ArrayList<>(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            all.add(counted(i));
        }
        return all;
    }

    /** Whether the estimates still hold what counts them: the request and its memo (for tests: what a call keeps). */
    synchronized boolean holdsCounting() {
        return count != null || ceiling != null || priced != null;
    }

    /** Whether {@code target}'s estimate has been counted (for tests: what a decision cost). */
    boolean isCounted(Target target) {
        int i = targets.indexOf(target);
        return i >= 0 && counted[i] != null;
    }
}
