package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One typed part of a message's content: {@code text}, {@code image_url}, {@code input_audio}, {@code file} or
 * {@code refusal}. Fields not named here (such as {@code cache_control}) are kept in {@code extra}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContentPart(
        String type,
        String text,
        @JsonProperty("image_url") ImageUrl imageUrl,
        @JsonProperty("input_audio") InputAudio inputAudio,
        FileData file,
        String refusal,
        @JsonAnySetter Map<String, JsonNode> extra) {

    public ContentPart {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    public static ContentPart text(String text) {
        return new ContentPart("text", text, null, null, null, null, null);
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /** @param detail {@code low}, {@code high} or {@code auto}; null when not given */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ImageUrl(String url, String detail, @JsonAnySetter Map<String, JsonNode> extra) {

        public ImageUrl {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }

    /** Base64 audio and its format ({@code wav}, {@code mp3}). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InputAudio(String data, String format, @JsonAnySetter Map<String, JsonNode> extra) {

        public InputAudio {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }

    /** A file given inline as a {@code data:} URL, or by the id of an upload. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FileData(
            @JsonProperty("file_data") String fileData,
            @JsonProperty("file_id") String fileId,
            String filename,
            @JsonAnySetter Map<String, JsonNode> extra) {

        public FileData {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }
}
