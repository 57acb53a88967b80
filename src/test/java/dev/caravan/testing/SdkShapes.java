package dev.caravan.testing;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.core.JsonValue;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseStreamEvent;

/** The requests and readings the SDK tests share: one weather tool in each SDK's types, a Response's text. */
public final class SdkShapes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SdkShapes() {
    }

    /** Anthropic's documented tool example, {@code get_weather} with a required {@code location}. */
    public static com.anthropic.models.messages.Tool anthropicWeather() {
        return com.anthropic.models.messages.Tool.builder().name("get_weather")
                .description("Get the current weather in a given location")
                .inputSchema(com.anthropic.models.messages.Tool.InputSchema.builder()
                        .properties(com.anthropic.core.JsonValue.from(Map.of("location", Map.of("type", "string"))))
                        .required(List.of("location")).build())
                .build();
    }

    /** A strict Responses function tool, {@code get_weather} with a required {@code city}. */
    public static FunctionTool responsesWeather() {
        return FunctionTool.builder().name("get_weather").strict(true)
                .parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                        .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                        .build())
                .build();
    }

    /** A Response's output text, every message's parts joined. */
    public static String text(Response response) {
        StringBuilder text = new StringBuilder();
        response.output().forEach(item -> item.message().ifPresent(m -> m.content().forEach(
                c -> c.outputText().ifPresent(t -> text.append(t.text())))));
        return text.toString();
    }

    /** The event's {@code type}, as the wire named it. */
    public static String kind(ResponseStreamEvent event) {
        return JSON.valueToTree(event).path("type").asText();
    }
}
