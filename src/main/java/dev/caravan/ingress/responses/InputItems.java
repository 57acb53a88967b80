package dev.caravan.ingress.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.InvalidRequest;

/**
 * {@code GET /v1/responses/{id}/input_items}: the input a stored response was asked with, as the API lists it (a
 * {@code list} of items, newest first unless {@code order=asc}, {@code limit} per page, {@code after} an item id).
 * Items keep what the client sent; a text input becomes one user message, string contents become
 * {@code input_text} (or, for an assistant's, {@code output_text}) parts, and items the client sent without an id
 * get one derived from the response's. Pure.
 */
final class InputItems {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int DEFAULT_LIMIT = 20;
    private static final int MAX_LIMIT = 100;

    private InputItems() {
    }

    /**
     * @param responseId the stored response's id
     * @param input      its request's {@code input} as sent; null for a response stored before inputs were kept
     * @param order      {@code asc} or {@code desc} (the default), or null
     * @param limit      items per page, 1 to 100 (20 by default), or null
     * @param after      the id of the item the page starts after, or null
     */
    static ObjectNode page(String responseId, JsonNode input, String order, String limit, String after) {
        ArrayNode items = items(responseId, input);
        boolean ascending = order == null || order.isEmpty() ? false : switch (order) {
            case "asc" -> true;
            case "desc" -> false;
            default -> throw InvalidRequest.badRequest("order", "Invalid value for 'order': expected 'asc' or "
                    + "'desc'.");
        };
        int size = limit(limit);
        ArrayNode ordered = NODES.arrayNode();
        for (int i = 0; i < items.size(); i++) {
            ordered.add(items.get(ascending ? i : items.size() - 1 - i));
        }
        int start = 0;
        if (after != null && !after.isEmpty()) {
            start = -1;
            for (int i = 0; i < ordered.size(); i++) {
                if (after.equals(ordered.get(i).path("id").asText())) {
                    start = i + 1;
                }
            }
            if (start < 0) {
                throw InvalidRequest.badRequest("after", "No input item with id " + ResponsesRequests.quoted(after)
                        + " in response '" + responseId + "'.");
            }
        }
        ObjectNode page = NODES.objectNode().put("object", "list");
        ArrayNode data = page.putArray("data");
        for (int i = start; i < ordered.size() && data.size() < size; i++) {
            data.add(ordered.get(i));
        }
        page.set("first_id", data.isEmpty() ? NODES.nullNode() : data.get(0).get("id"));
        page.set("last_id", data.isEmpty() ? NODES.nullNode() : data.get(data.size() - 1).get("id"));
        page.put("has_more", start + data.size() < ordered.size());
        return page;
    }

    private static int limit(String limit) {
        if (limit == null || limit.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            int value = Integer.parseInt(limit);
            if (value >= 1 && value <= MAX_LIMIT) {
                return value;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw InvalidRequest.badRequest("limit", "Invalid value for 'limit': expected a whole number from 1 to "
                + MAX_LIMIT + ".");
    }

    /** The input as items, in the order sent. */
    static ArrayNode items(String responseId, JsonNode input) {
        String suffix = responseId.startsWith("resp_") ? responseId.substring(5) : responseId;
        ArrayNode items = NODES.arrayNode();
        if (input == null || input.isNull() || input.isMissingNode()) {
            return items;
        }
        if (input.isTextual()) {
            items.add(message("msg_" + suffix + "_in_0", "user", input));
            return items;
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode sent = input.get(i);
            String type = sent.path("type").asText("message");
            String id = sent.path("id").isTextual() ? sent.get("id").asText() : switch (type) {
                case "function_call" -> "fc_" + suffix + "_in_" + i;
                case "function_call_output" -> "fco_" + suffix + "_in_" + i;
                case "reasoning" -> "rs_" + suffix + "_in_" + i;
                default -> "msg_" + suffix + "_in_" + i;
            };
            ObjectNode item;
            if ("message".equals(type)) {
                item = message(id, sent.path("role").asText("user"), sent.get("content"));
            } else {
                item = ((ObjectNode) sent.deepCopy()).put("id", id);
                if (!item.has("status") && !"reasoning".equals(type)) {
                    item.put("status", "completed");
                }
            }
            items.add(item);
        }
        return items;
    }

    private static ObjectNode message(String id, String role, JsonNode content) {
        ObjectNode item = NODES.objectNode().put("id", id).put("type", "message").put("role", role)
                .put("status", "completed");
        ArrayNode parts = item.putArray("content");
        boolean assistant = "assistant".equals(role);
        if (content != null && content.isTextual()) {
            parts.add(assistant ? ResponseObjects.textPart(content.asText())
                    : NODES.objectNode().put("type", "input_text").put("text", content.asText()));
        } else if (content != null && content.isArray()) {
            for (JsonNode part : content) {
                parts.add(assistant && "output_text".equals(part.path("type").asText())
                        ? ResponseObjects.textPart(part.path("text").asText("")) : part.deepCopy());
            }
        }
        return item;
    }
}
