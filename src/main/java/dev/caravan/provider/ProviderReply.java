package dev.caravan.provider;

import dev.caravan.chat.ChatResponse;

/**
 * A provider's successful answer, translated to the canonical response.
 *
 * @param firstContentNanos for a stream, the time from the attempt's start to its first content (the latency
 *                          that matters to a streaming caller); 0 for an answer read whole
 * @param passed            a passed-through answer read whole, as the client gets it ({@code response} is then
 *                          what the gateway read of it); null when the answer is translated or streamed
 */
public record ProviderReply(ChatResponse response, int status, long firstContentNanos, byte[] passed) {

    public ProviderReply(ChatResponse response, int status, long firstContentNanos) {
        this(response, status, firstContentNanos, null);
    }
}
