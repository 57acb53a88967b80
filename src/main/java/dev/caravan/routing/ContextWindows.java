package dev.caravan.routing;

import java.util.List;

import dev.caravan.provider.FailureClass;
import dev.caravan.provider.Target;

/**
 * Where a request may go after a provider said its prompt is too long (DESIGN §4, {@code context_length}). A model
 * that refused it is never sent it again unchanged, on any provider. Targets whose window is known to be larger
 * than every window that refused it come first; when none is left, targets whose window is unknown are tried next,
 * as a guess; a guess that fails too ends the request with the provider's answer.
 */
final class ContextWindows {

    private final RoutingSettings settings;

    ContextWindows(RoutingSettings settings) {
        this.settings = settings;
    }

    /** Whether {@code target} may still take the request after its context-length failures so far. */
    boolean admits(RoutingState state, Target target, List<Target> aliasTargets) {
        if (!anyRefusal(state)) {
            return true; // the common case, asked of every candidate at every choice
        }
        List<Attempt> refused = refusals(state);
        if (refused.isEmpty()) {
            return true;
        }
        if (refused.stream().anyMatch(a -> a.target().model().equals(target.model()))) {
            return false;
        }
        long largestRefused = refused.stream().mapToLong(a -> settings.contextWindow(a.target().model())).max()
                .orElse(0);
        long window = settings.contextWindow(target.model());
        if (window > 0) {
            return window > largestRefused;
        }
        boolean guessFailed = refused.size() > 1
                && refused.stream().anyMatch(a -> settings.contextWindow(a.target().model()) == 0);
        boolean largerKnownLeft = aliasTargets.stream().anyMatch(t -> !state.tried(t)
                && settings.contextWindow(t.model()) > largestRefused
                && refused.stream().noneMatch(a -> a.target().model().equals(t.model())));
        return !guessFailed && !largerKnownLeft;
    }

    /** Whether any untried target of the alias may still take the request. */
    boolean anyLeft(RoutingState state, List<Target> aliasTargets) {
        return aliasTargets.stream().anyMatch(t -> !state.tried(t) && admits(state, t, aliasTargets));
    }

    private static boolean anyRefusal(RoutingState state) {
        for (Attempt attempt : state.attempts()) {
            if (attempt.failure() == FailureClass.CONTEXT_LENGTH) {
                return true;
            }
        }
        return false;
    }

    private static List<Attempt> refusals(RoutingState state) {
        return state.attempts().stream().filter(a -> a.failure() == FailureClass.CONTEXT_LENGTH).toList();
    }
}
