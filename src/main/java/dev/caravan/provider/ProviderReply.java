package dev.caravan.provider;

import dev.caravan.chat.ChatResponse;

/** A provider's successful answer, translated to the canonical response. */
public record ProviderReply(ChatResponse response, int status) {
}
