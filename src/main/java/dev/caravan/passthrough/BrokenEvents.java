package dev.caravan.passthrough;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * The error event each protocol ends a broken stream with, as its own clients expect it (and as the translated
 * path's writers send it): Chat Completions an {@code error} object, Messages {@code event: error}, Responses an
 * {@code error} event (a passed-through Responses stream adds {@code response.failed}, see
 * {@link ResponsesReading.Decoder#broken}), Gemini an {@code error} object with status 503.
 */
final class BrokenEvents {

    private BrokenEvents() {
    }

    static byte[] of(ClientApi api, String message) {
        String text = new String(JsonStringEncoder.getInstance().quoteAsString(message));
        String event = switch (api) {
            case CHAT_COMPLETIONS -> "data: {\"error\":{\"message\":\"" + text
                    + "\",\"type\":\"api_error\",\"param\":null,\"code\":\"stream_broken\"}}\n\n";
            case MESSAGES -> "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\""
                    + text + "\"}}\n\n";
            case RESPONSES -> "event: error\ndata: {\"type\":\"error\",\"code\":\"stream_broken\",\"message\":\"" + text
                    + "\",\"param\":null}\n\n";
            case GEMINI -> "data: {\"error\":{\"code\":503,\"message\":\"" + text
                    + "\",\"status\":\"UNAVAILABLE\"}}\n\n";
        };
        return event.getBytes(StandardCharsets.UTF_8);
    }
}
