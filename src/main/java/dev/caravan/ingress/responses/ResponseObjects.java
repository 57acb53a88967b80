package dev.caravan.ingress.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;

/**
 * The Responses API {@code response} object and its output items, as the API reference documents them: every field
 * the official SDKs require is present (null where it has no value). Pure.
 */
public final class ResponseObjects {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ResponseObjects() {
    }

    /** {@code completed}, or {@code incomplete} when the token limit or the content filter cut the answer. */
    public static String status(String finishReason) {
        return "length".equals(finishReason) || "content_filter".equals(finishReason) ? "incomplete" : "completed";
    }

    /**
     * The response object.
     *
     * @param answer what the model answered, or null while none is known (as {@code response.created} shows it)
     * @param status {@code in_progress}, {@code completed}, {@code incomplete} or {@code failed}
     * @param error  the error of a failed response ({@code {code, message}}), else null
     */
    public static ObjectNode response(ResponsesTurn turn, String model, String status, ResponseAnswer answer,
            ObjectNode error) {
        JsonNode body = turn.body();
        ObjectNode response = NODES.objectNode();
        response.put("id", turn.id());
        response.put("object", "response");
        response.put("created_at", turn.createdAt());
        response.put("status", status);
        response.put("background", false);
        response.set("error", error == null ? NODES.nullNode() : error);
        if ("incomplete".equals(status) && answer != null) {
            response.putObject("incomplete_details").put("reason",
                    "content_filter".equals(answer.finishReason()) ? "content_filter" : "max_output_tokens");
        } else {
            response.putNull("incomplete_details");
        }
        response.set("instructions", field(body, "instructions"));
        response.set("max_output_tokens", field(body, "max_output_tokens"));
        response.put("model", model);
        ArrayNode output = response.putArray("output");
        if (answer != null) {
            if (answer.reasoning() != null) {
                output.add(reasoning(turn, answer.reasoning()));
            }
            if (answer.text() != null || answer.refusal() != null) {
                output.add(message(turn, answer.text(), answer.refusal(), itemStatus(status)));
            }
            for (int i = 0; i < answer.calls().size(); i++) {
                ToolCall call = answer.calls().get(i);
                output.add(functionCall(turn, i, call.id(), call.function() == null ? null : call.function().name(),
                        call.function() == null || call.function().arguments() == null ? ""
                                : call.function().arguments(), "completed"));
            }
        }
        response.put("parallel_tool_calls", body.path("parallel_tool_calls").asBoolean(true));
        response.set("previous_response_id", field(body, "previous_response_id"));
        ObjectNode reasoning = response.putObject("reasoning");
        reasoning.set("effort", field(body.path("reasoning"), "effort"));
        reasoning.set("summary", field(body.path("reasoning"), "summary"));
        response.put("store", turn.store());
        response.set("temperature", field(body, "temperature"));
        ObjectNode text = response.putObject("text");
        JsonNode format = body.at("/text/format");
        text.set("format", format.isObject() ? format : NODES.objectNode().put("type", "text"));
        if (body.at("/text/verbosity").isTextual()) {
            text.set("verbosity", body.at("/text/verbosity"));
        }
        response.set("tool_choice", body.hasNonNull("tool_choice") ? body.get("tool_choice") : NODES.textNode("auto"));
        response.set("tools", body.path("tools").isArray() ? body.get("tools") : NODES.arrayNode());
        response.set("top_p", field(body, "top_p"));
        response.put("truncation", "disabled");
        if (answer != null && answer.usage() != null) {
            response.set("usage", usage(answer.usage()));
        } else {
            response.putNull("usage");
        }
        response.set("user", field(body, "user"));
        response.set("metadata", body.path("metadata").isObject() ? body.get("metadata") : NODES.objectNode());
        return response;
    }

    /** Usage in Responses terms: input and output tokens, with the cached and reasoning details. */
    public static ObjectNode usage(Usage usage) {
        int input = usage.promptTokens() == null ? 0 : usage.promptTokens();
        int output = usage.completionTokens() == null ? 0 : usage.completionTokens();
        ObjectNode node = NODES.objectNode();
        node.put("input_tokens", input);
        node.putObject("input_tokens_details")
                .put("cached_tokens", detail(usage, "prompt_tokens_details", "cached_tokens"))
                .put("cache_write_tokens", detail(usage, "prompt_tokens_details", "cache_write_tokens"));
        node.put("output_tokens", output);
        node.putObject("output_tokens_details").put("reasoning_tokens",
                detail(usage, "completion_tokens_details", "reasoning_tokens"));
        node.put("total_tokens", usage.totalTokens() == null ? input + output : usage.totalTokens());
        return node;
    }

    static String messageId(ResponsesTurn turn) {
        return "msg_" + suffix(turn);
    }

    static String reasoningId(ResponsesTurn turn) {
        return "rs_" + suffix(turn);
    }

    static String callId(ResponsesTurn turn, int index) {
        return "fc_" + suffix(turn) + "_" + index;
    }

    static ObjectNode reasoning(ResponsesTurn turn, String summary) {
        ObjectNode item = NODES.objectNode().put("id", reasoningId(turn)).put("type", "reasoning");
        ArrayNode parts = item.putArray("summary");
        if (summary != null) {
            parts.add(summaryPart(summary));
        }
        return item;
    }

    static ObjectNode summaryPart(String text) {
        return NODES.objectNode().put("type", "summary_text").put("text", text);
    }

    /** The assistant's message item: its text as {@code output_text}, its refusal as {@code refusal}. */
    static ObjectNode message(ResponsesTurn turn, String text, String refusal, String status) {
        ObjectNode item = NODES.objectNode().put("id", messageId(turn)).put("type", "message").put("status", status)
                .put("role", "assistant");
        ArrayNode content = item.putArray("content");
        if (text != null) {
            content.add(textPart(text));
        }
        if (refusal != null) {
            content.add(refusalPart(refusal));
        }
        return item;
    }

    static ObjectNode textPart(String text) {
        ObjectNode part = NODES.objectNode().put("type", "output_text");
        part.putArray("annotations");
        part.putArray("logprobs");
        part.put("text", text);
        return part;
    }

    static ObjectNode refusalPart(String refusal) {
        return NODES.objectNode().put("type", "refusal").put("refusal", refusal);
    }

    static ObjectNode functionCall(ResponsesTurn turn, int index, String callId, String name, String arguments,
            String status) {
        return NODES.objectNode().put("id", callId(turn, index)).put("type", "function_call").put("status", status)
                .put("arguments", arguments).put("call_id", callId).put("name", name);
    }

    private static String itemStatus(String responseStatus) {
        return "incomplete".equals(responseStatus) ? "incomplete" : "completed";
    }

    private static String suffix(ResponsesTurn turn) {
        return turn.id().startsWith("resp_") ? turn.id().substring(5) : turn.id();
    }

    private static JsonNode field(JsonNode node, String name) {
        JsonNode value = node.get(name);
        return value == null ? NODES.nullNode() : value;
    }

    private static int detail(Usage usage, String details, String field) {
        JsonNode node = usage.extra().get(details);
        return node == null ? 0 : node.path(field).asInt(0);
    }
}
