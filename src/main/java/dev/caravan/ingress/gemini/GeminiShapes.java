package dev.caravan.ingress.gemini;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.ingress.protocol.ProtocolShapes;
import dev.caravan.routing.Outcome;

/**
 * Gemini's answer and error bodies: a {@code GenerateContentResponse}, and {@code {"error": {code, message, status,
 * details}}}. The JSON-array form of {@code streamGenerateContent} (without {@code alt=sse}) has its answer as a
 * one-element array; an error answered with its status before any answer is a plain error body, as Gemini's.
 *
 * @param includeThoughts whether reasoning is shown as thought parts (the caller set {@code includeThoughts})
 * @param array           whether the answer is written as a one-element JSON array
 */
record GeminiShapes(ObjectMapper json, boolean includeThoughts, boolean array) implements ProtocolShapes {

    @Override
    public Object answer(Outcome.Served served) {
        Object answer = GeminiAnswers.toGeminiResponse(served.response(), includeThoughts, json);
        return array ? List.of(answer) : answer;
    }

    @Override
    public Object failure(Outcome.Failed failed) {
        return Map.of("error", GeminiErrors.error(status(failed), failed.message(), failed.code(),
                failed.retryAfter()));
    }

    @Override
    public Object error(int status, String code, String message, String param) {
        return Map.of("error", GeminiErrors.error(status, message, code, null));
    }
}
