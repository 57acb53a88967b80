package dev.caravan.provider;

import dev.caravan.chat.ChatResponse;

/**
 * A provider's successful answer, translated to the canonical response.
 *
 * @param firstContentNanos for a stream, the time from the attempt's start to its first content (the latency
 *                          that matters to a streaming caller); 0 for an answer read whole
 */
public record ProviderReply(ChatResponse response, int status, long firstContentNanos) {
}
