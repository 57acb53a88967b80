package dev.caravan.provider.gemini;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code generateContent} JSON as records: the request Caravan sends, the response (also each event of a
 * stream) and the error body. Only what Caravan reads or writes is named; the rest of an answer is ignored.
 * Schemas, function arguments and results stay JSON: any JSON may stand there. The answer side is public: the Gemini
 * client protocol writes its answers with the same records.
 */
public final class GeminiTypes {

    private GeminiTypes() {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record GenerateContentRequest(
            List<Content> contents,
            Content systemInstruction,
            List<Tool> tools,
            ToolConfig toolConfig,
            GenerationConfig generationConfig) {
    }

    /** A turn ({@code user} or {@code model}) or the system instruction (no role). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Content(String role, List<Part> parts) {
    }

    /** One part; exactly one of text, inline data, file data, function call or function response is set. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Part(
            String text,
            Boolean thought,
            Blob inlineData,
            FileData fileData,
            FunctionCall functionCall,
            FunctionResponse functionResponse,
            String thoughtSignature) {

        public static Part text(String text) {
            return new Part(text, null, null, null, null, null, null);
        }

        static Part inline(String mimeType, String data) {
            return new Part(null, null, new Blob(mimeType, data), null, null, null, null);
        }

        static Part file(String mimeType, String uri) {
            return new Part(null, null, null, new FileData(mimeType, uri), null, null, null);
        }

        static Part call(String name, JsonNode args, String thoughtSignature) {
            return new Part(null, null, null, null, new FunctionCall(null, name, args), null, thoughtSignature);
        }

        static Part response(String name, JsonNode response) {
            return new Part(null, null, null, null, null, new FunctionResponse(name, response), null);
        }

        boolean isThought() {
            return Boolean.TRUE.equals(thought);
        }
    }

    record Blob(String mimeType, String data) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FileData(String mimeType, String fileUri) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FunctionCall(String id, String name, JsonNode args) {
    }

    record FunctionResponse(String name, JsonNode response) {
    }

    record Tool(List<FunctionDeclaration> functionDeclarations) {
    }

    /** @param parameters a Gemini Schema, see {@link GeminiSchemas} */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FunctionDeclaration(String name, String description, JsonNode parameters) {
    }

    record ToolConfig(FunctionCallingConfig functionCallingConfig) {
    }

    /** @param mode {@code AUTO}, {@code ANY} or {@code NONE} */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FunctionCallingConfig(String mode, List<String> allowedFunctionNames) {
    }

    /** Numbers the caller sent as numbers are kept as given (an integer stays one). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record GenerationConfig(
            List<String> stopSequences,
            Double temperature,
            Double topP,
            Integer maxOutputTokens,
            Number candidateCount,
            Number seed,
            Number presencePenalty,
            Number frequencyPenalty,
            String responseMimeType,
            JsonNode responseSchema,
            Integer topK,
            ThinkingConfig thinkingConfig) {

        boolean isEmpty() {
            return stopSequences == null && temperature == null && topP == null && maxOutputTokens == null
                    && candidateCount == null && seed == null && presencePenalty == null && frequencyPenalty == null
                    && responseMimeType == null && responseSchema == null && topK == null && thinkingConfig == null;
        }
    }

    /**
     * @param thinkingBudget  the tokens the model may think for; 0 turns thinking off where the model allows it
     * @param includeThoughts whether the thoughts come back with the answer; null leaves it to the model
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ThinkingConfig(Integer thinkingBudget, Boolean includeThoughts) {

        ThinkingConfig(Integer thinkingBudget) {
            this(thinkingBudget, null);
        }
    }

    /** A {@code GenerateContentResponse}, whole or as one event of a stream. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record GenerateContentResponse(
            List<Candidate> candidates,
            PromptFeedback promptFeedback,
            UsageMetadata usageMetadata,
            String modelVersion,
            String responseId,
            String createTime,
            ErrorObject error) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Candidate(Content content, String finishReason, Integer index) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record PromptFeedback(String blockReason, String blockReasonMessage) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record UsageMetadata(
            Integer promptTokenCount,
            Integer candidatesTokenCount,
            Integer toolUsePromptTokenCount,
            Integer thoughtsTokenCount,
            Integer cachedContentTokenCount,
            Integer totalTokenCount) {
    }

    /**
     * The {@code error} of an error body ({@code {"error": {...}}}, which streaming endpoints sometimes wrap in an
     * array) or of a stream event.
     *
     * @param status  the canonical status name ({@code INVALID_ARGUMENT}, {@code RESOURCE_EXHAUSTED}, ...)
     * @param details typed details ({@code google.rpc.ErrorInfo}, {@code google.rpc.RetryInfo}, ...)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ErrorObject(Integer code, String message, String status, List<Detail> details) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Detail(@JsonProperty("@type") String type, String reason, String retryDelay) {
    }
}
