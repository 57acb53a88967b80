package dev.caravan.provider.stream;

/**
 * One server-sent event as a provider sends it.
 *
 * @param event the {@code event:} field, or null when the event has none (OpenAI and Gemini send none)
 * @param data  the {@code data:} lines joined with newlines; empty when the event had none
 */
public record SseEvent(String event, String data) {

    public static SseEvent data(String data) {
        return new SseEvent(null, data);
    }

    public static SseEvent of(String event, String data) {
        return new SseEvent(event, data);
    }
}
