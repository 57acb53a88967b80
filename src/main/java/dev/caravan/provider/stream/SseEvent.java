package dev.caravan.provider.stream;

/**
 * One server-sent event as a provider sends it.
 *
 * @param event the {@code event:} field, or null when the event has none (OpenAI and Gemini send none)
 * @param data  the {@code data:} lines joined with newlines; empty when the event had none; null for a block of
 *              comments (and {@code id:} or {@code retry:} lines) alone, read only by a reader that keeps them
 * @param others the block's other lines as received (comments such as {@code : keep-alive}, {@code id:},
 *              {@code retry:}), each ending with a newline; null when there were none or the reader drops them
 */
public record SseEvent(String event, String data, String others) {

    public SseEvent(String event, String data) {
        this(event, data, null);
    }

    public static SseEvent data(String data) {
        return new SseEvent(null, data);
    }

    public static SseEvent of(String event, String data) {
        return new SseEvent(event, data);
    }
}
