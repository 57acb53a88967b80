package dev.caravan.simulator;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Log probabilities for simulated tokens (one per answer piece): deterministic, negative, the chosen token the most
 * likely of its alternatives, in OpenAI's shape ({@code token}, {@code logprob}, {@code bytes},
 * {@code top_logprobs}) for Chat Completions and Responses alike.
 */
final class Logprobs {

    private Logprobs() {
    }

    /** The log probability of {@code token}: in (-1, 0), the same every time. */
    static double of(String token) {
        return -((token.hashCode() & 0x7fffffff) % 997 + 1) / 1000.0;
    }

    /** One entry per piece, each with {@code top} alternatives (the token itself first). */
    static ArrayNode entries(ObjectMapper json, List<String> pieces, int top) {
        ArrayNode entries = json.createArrayNode();
        for (String piece : pieces) {
            ObjectNode entry = entry(json, piece, of(piece));
            ArrayNode alternatives = entry.putArray("top_logprobs");
            for (int i = 0; i < top; i++) {
                String alternative = i == 0 ? piece : piece.strip() + "_" + i;
                alternatives.add(entry(json, alternative, of(piece) - i * 1.5));
            }
            entries.add(entry);
        }
        return entries;
    }

    private static ObjectNode entry(ObjectMapper json, String token, double logprob) {
        ObjectNode entry = json.createObjectNode().put("token", token).put("logprob", logprob);
        ArrayNode bytes = entry.putArray("bytes");
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        return entry;
    }
}
