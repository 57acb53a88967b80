package dev.caravan.provider;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.StreamSink;
import dev.caravan.testing.RecordingSink;

/** Provider calls as the router makes them, for the tests of the provider call's HTTP client. */
final class ChatCalls {

    private ChatCalls() {
    }

    /**
     * A first attempt of a one-line chat to {@code provider}'s {@code model-alpha} at {@code url}, streamed or not.
     * The attempt's own limits read a ticker that stands still: what runs out in a test is the client's read timeout.
     */
    static ProviderCall chat(String provider, String url, Map<String, String> headers, boolean streamed,
            Duration readTimeout) {
        AttemptPlan plan = new AttemptPlan(new Target(provider, "model-alpha"), 0, Duration.ofSeconds(30),
                0L, "req_1", List.of());
        ChatRequest request = new ChatRequest("fast", List.of(ChatMessage.of("user", "hello")), streamed, null, null,
                null, null, null, null, null, null, null);
        StreamSink sink = streamed ? new RecordingSink() : null;
        ProviderAttempt attempt = new ProviderAttempt(plan, request, sink, null, new AttemptHandle(() -> 0L, 0L),
                null);
        return new ProviderCall(attempt, url, headers,
                "{\"model\":\"model-alpha\"}".getBytes(StandardCharsets.UTF_8), readTimeout);
    }
}
