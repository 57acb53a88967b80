package dev.caravan.provider.anthropic;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The Messages API's JSON as records: the request Caravan sends, the message it answers, the events of its stream
 * and its error body. Only what Caravan reads or writes is named; the rest of an answer is ignored.
 */
final class AnthropicTypes {

    private AnthropicTypes() {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MessagesRequest(
            String model,
            @JsonProperty("max_tokens") int maxTokens,
            List<Turn> messages,
            List<Block> system,
            @JsonProperty("stop_sequences") List<String> stopSequences,
            Double temperature,
            @JsonProperty("top_p") Double topP,
            List<ToolSpec> tools,
            @JsonProperty("tool_choice") ToolChoice toolChoice,
            Metadata metadata,
            Boolean stream,
            @JsonProperty("top_k") Integer topK,
            JsonNode thinking,
            @JsonProperty("output_config") JsonNode outputConfig) {
    }

    /** One turn; a turn of one plain text block is written in the API's string shorthand. */
    record Turn(String role, @JsonProperty("content") Blocks content) {
    }

    /**
     * Blocks; with {@code shorthand}, written as a plain string when they are one text block with nothing else on
     * it, as the API allows for a turn's and a tool result's content.
     */
    record Blocks(List<Block> blocks, boolean shorthand) {

        @JsonValue
        Object json() {
            Block only = blocks.size() == 1 ? blocks.getFirst() : null;
            return shorthand && only != null && only.isPlainText() ? only.text() : blocks;
        }
    }

    /**
     * A content block of a request: {@code text}, {@code image}, {@code document}, {@code tool_use},
     * {@code tool_result}, or an earlier answer's {@code thinking} or {@code redacted_thinking}, sent back as it came.
     *
     * @param content a tool result's content
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Block(
            String type,
            String text,
            Source source,
            String title,
            String id,
            String name,
            JsonNode input,
            @JsonProperty("tool_use_id") String toolUseId,
            Blocks content,
            @JsonProperty("cache_control") JsonNode cacheControl,
            String thinking,
            String signature,
            String data) {

        static Block text(String text, JsonNode cacheControl) {
            return new Block("text", text, null, null, null, null, null, null, null, cacheControl, null, null, null);
        }

        static Block media(String type, Source source, String title, JsonNode cacheControl) {
            return new Block(type, null, source, title, null, null, null, null, null, cacheControl, null, null, null);
        }

        static Block toolUse(String id, String name, JsonNode input) {
            return new Block("tool_use", null, null, null, id, name, input, null, null, null, null, null, null);
        }

        static Block toolResult(String toolUseId, Blocks content, JsonNode cacheControl) {
            return new Block("tool_result", null, null, null, null, null, null, toolUseId, content, cacheControl, null,
                    null, null);
        }

        static Block thinking(String thinking, String signature) {
            return new Block("thinking", null, null, null, null, null, null, null, null, null, thinking, signature,
                    null);
        }

        static Block redactedThinking(String data) {
            return new Block("redacted_thinking", null, null, null, null, null, null, null, null, null, null, null,
                    data);
        }

        boolean isPlainText() {
            return "text".equals(type) && cacheControl == null;
        }
    }

    /**
     * A content block of an answer or a stream: {@code text}, {@code tool_use}, {@code thinking} (with its
     * {@code signature}), {@code redacted_thinking} (its encrypted {@code data}), or a type with no Chat Completions
     * form (server tool blocks), whose other fields are ignored.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ContentBlock(String type, String text, String id, String name, JsonNode input, String thinking,
            String signature, String data) {
    }

    /** An image or document source: base64 data with its media type, or a URL. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Source(String type, @JsonProperty("media_type") String mediaType, String data, String url) {
    }

    /** @param inputSchema the JSON Schema of the tool's input */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ToolSpec(String name, String description, @JsonProperty("input_schema") JsonNode inputSchema,
            @JsonProperty("cache_control") JsonNode cacheControl) {
    }

    /** @param type {@code auto}, {@code any}, {@code tool} or {@code none} */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ToolChoice(String type, String name,
            @JsonProperty("disable_parallel_tool_use") Boolean disableParallelToolUse) {

        ToolChoice withoutParallelToolUse() {
            return new ToolChoice(type, name, true);
        }
    }

    record Metadata(@JsonProperty("user_id") String userId) {
    }

    /** A {@code message} answer. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Message(String id, String type, String model, List<ContentBlock> content,
            @JsonProperty("stop_reason") String stopReason, Usage usage) {
    }

    /** Token counts; in a stream each event repeats the running counts it knows. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Usage(
            @JsonProperty("input_tokens") Integer inputTokens,
            @JsonProperty("output_tokens") Integer outputTokens,
            @JsonProperty("cache_creation_input_tokens") Integer cacheCreationInputTokens,
            @JsonProperty("cache_read_input_tokens") Integer cacheReadInputTokens) {

        /** These counts updated by the ones {@code later} reports. */
        Usage updatedBy(Usage later) {
            if (later == null) {
                return this;
            }
            return new Usage(or(later.inputTokens, inputTokens), or(later.outputTokens, outputTokens),
                    or(later.cacheCreationInputTokens, cacheCreationInputTokens),
                    or(later.cacheReadInputTokens, cacheReadInputTokens));
        }

        private static Integer or(Integer later, Integer earlier) {
            return later != null ? later : earlier;
        }
    }

    /** One event of a stream; which fields are set depends on its type. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Event(
            String type,
            Message message,
            Integer index,
            @JsonProperty("content_block") ContentBlock contentBlock,
            Delta delta,
            Usage usage,
            ErrorObject error) {
    }

    /** A {@code content_block_delta}'s or a {@code message_delta}'s delta. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Delta(
            String type,
            String text,
            @JsonProperty("partial_json") String partialJson,
            String thinking,
            String signature,
            @JsonProperty("stop_reason") String stopReason) {
    }

    /** {@code {"type": "error", "error": {...}}}, as an answer body or a stream event. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ErrorBody(ErrorObject error) {
    }

    /** @param details what some errors add, such as the {@code error_code} of a spend limit */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ErrorObject(String type, String message, JsonNode details) {
    }
}
