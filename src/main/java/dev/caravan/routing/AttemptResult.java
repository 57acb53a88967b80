package dev.caravan.routing;

import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.Target;

/** How the attempt in flight ended, as the {@link AttemptPolicy} weighs it. */
sealed interface AttemptResult {

    /** The provider answered. */
    record Served(Attempt attempt) implements AttemptResult {
    }

    /** The provider failed, as classified (its Retry-After, and whether the caller hung up, included). */
    record Failed(Attempt attempt, ProviderFailure failure) implements AttemptResult {
    }

    /** The breaker refused the call at the last moment: nothing was sent, no attempt is recorded. */
    record Refused(Target target) implements AttemptResult {
    }
}
