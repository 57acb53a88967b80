package dev.caravan.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The OpenAI error body, {@code {"error":{"message","type","param","code"}}}, as callers and SDKs expect it. */
public final class ErrorBody {

    private ErrorBody() {
    }

    public static ObjectNode of(ObjectMapper json, String message, String type, String code, String param) {
        ObjectNode body = json.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return body;
    }
}
