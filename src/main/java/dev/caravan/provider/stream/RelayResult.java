package dev.caravan.provider.stream;

import dev.caravan.chat.ChatResponse;
import dev.caravan.provider.ProviderFailure;

/** How a relayed stream ended, for the provider call to record: it throws nothing itself. */
public sealed interface RelayResult {

    /** Malformed events skipped inside the stream (DESIGN §7: counted, not fatal). */
    int skippedEvents();

    /**
     * The whole answer reached the client.
     *
     * @param summary           id, model and usage of the answer (no content: the client has it)
     * @param firstContentNanos time from the attempt's start to its first content
     */
    record Replied(ChatResponse summary, long firstContentNanos, int skippedEvents) implements RelayResult {
    }

    /** The stream broke after its commit point: the client had the beginning, then an error event. */
    record Broken(String reason, int skippedEvents) implements RelayResult {
    }

    /** The attempt failed before its commit point: the client has nothing yet, and another target may serve it. */
    record Failed(ProviderFailure failure, int skippedEvents) implements RelayResult {
    }

    /** The client hung up: nobody reads on, and nobody else is asked. */
    record Abandoned(int skippedEvents) implements RelayResult {
    }
}
