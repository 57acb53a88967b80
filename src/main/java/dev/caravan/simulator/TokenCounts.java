package dev.caravan.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.simulator.SimulatedWire.Rejected;
import dev.caravan.simulator.SimulatedWire.Reply;

/**
 * Token counting as Anthropic ({@code POST /v1/messages/count_tokens}), Gemini ({@code :countTokens}) and the
 * Responses API ({@code POST /v1/responses/input_tokens}) serve it:
 * the same estimate the simulated model reports as its prompt usage for the same request, so a client that counts
 * first and then asks sees one number.
 */
final class TokenCounts {

    private final ObjectMapper json;
    private final AnthropicWire anthropic;
    private final GeminiWire gemini;

    TokenCounts(ObjectMapper json, AnthropicWire anthropic, GeminiWire gemini) {
        this.json = json;
        this.anthropic = anthropic;
        this.gemini = gemini;
    }

    Reply anthropic(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new Rejected(anthropic.error(400, "invalid_request_error", "There was an error parsing the body of "
                    + "your request. Please make sure it is valid JSON."));
        }
        if (!body.path("model").isTextual()) {
            throw new Rejected(anthropic.error(400, "invalid_request_error", "model: Field required"));
        }
        if (!body.path("messages").isArray()) {
            throw new Rejected(anthropic.error(400, "invalid_request_error", "messages: Field required"));
        }
        return Reply.of(200, json.createObjectNode().put("input_tokens", AnthropicWire.promptTokens(body)));
    }

    /** The Responses API counts what a response to the same request would read. */
    Reply responses(JsonNode body, ResponsesWire wire) {
        int tokens = wire.read(body, null, false).asked().promptTokens();
        return Reply.of(200, json.createObjectNode().put("object", "response.input_tokens")
                .put("input_tokens", tokens));
    }

    /** Gemini counts {@code contents}, or a whole {@code generateContentRequest}. */
    Reply gemini(JsonNode body) {
        JsonNode request = body != null && body.has("generateContentRequest") ? body.get("generateContentRequest")
                : body;
        if (request == null || !request.path("contents").isArray() || request.get("contents").isEmpty()) {
            throw new Rejected(gemini.error(400, "INVALID_ARGUMENT", "* CountTokensRequest.contents: contents is not "
                    + "specified\n", null));
        }
        int tokens = GeminiWire.promptTokens(request);
        ObjectNode count = json.createObjectNode().put("totalTokens", tokens);
        count.putArray("promptTokensDetails").addObject().put("modality", "TEXT").put("tokenCount", tokens);
        return Reply.of(200, count);
    }
}
