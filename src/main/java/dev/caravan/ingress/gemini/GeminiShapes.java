package dev.caravan.ingress.gemini;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.ingress.protocol.ProtocolShapes;
import dev.caravan.routing.Outcome;

/**
 * Gemini's answer and error bodies: a {@code GenerateContentResponse}, and {@code {"error": {code, message, status,
 * details}}}. The JSON-array form of {@code streamGenerateContent} (without {@code alt=sse}) wraps each in an array,
 * as Gemini does.
 *
 * @param includeThoughts whether reasoning is shown as thought parts (the caller set {@code includeThoughts})
 * @param array           whether bodies are written as a one-element JSON array
 */
record GeminiShapes(ObjectMapper json, boolean includeThoughts, boolean array) implements ProtocolShapes {

    @Override
    public Object answer(Outcome.Served served) {
        return framed(GeminiAnswers.toGeminiResponse(served.response(), includeThoughts, json));
    }

    @Override
    public Object failure(Outcome.Failed failed) {
        return framed(Map.of("error", GeminiErrors.error(status(failed), failed.message(), failed.code(),
                failed.retryAfter())));
    }

    @Override
    public Object error(int status, String code, String message, String param) {
        return framed(Map.of("error", GeminiErrors.error(status, message, code, null)));
    }

    private Object framed(Object body) {
        return array ? List.of(body) : body;
    }
}
