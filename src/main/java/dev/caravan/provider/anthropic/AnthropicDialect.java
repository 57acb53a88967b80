package dev.caravan.provider.anthropic;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ClientHeaders;
import dev.caravan.provider.ChatTranslator;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.WireFeature;

/**
 * The Anthropic Messages API ({@code POST /v1/messages}, {@code anthropic-version} 2023-06-01), translated from
 * and to the canonical OpenAI Chat Completions model.
 *
 * <p>Requests. System and developer messages, wherever they stand, become text blocks of the top-level
 * {@code system}. Turns of the same role that follow each other are merged into one, since the API wants user and
 * assistant to alternate; tool messages become {@code tool_result} blocks of a user turn, so consecutive tool
 * results share one turn. Empty text is left out (the API refuses empty text blocks) and so is a turn left with
 * nothing. Images given as {@code data:} URLs are sent as base64 sources, http(s) URLs as url sources; PDF files
 * given as {@code data:} URLs as documents. Assistant tool calls become {@code tool_use} blocks with their ids
 * unchanged, so the caller's tool results still match them. Message {@code name}s are dropped: the API has no
 * such field.
 *
 * <p>Parameters. {@code max_completion_tokens}, else {@code max_tokens}, else the provider's
 * {@code default-max-tokens} becomes the required {@code max_tokens}. {@code temperature} is clamped to the API's
 * 0..1 rather than scaled from OpenAI's 0..2: the values callers actually send (0 to 1) keep their meaning, and
 * only hotter ones are capped. {@code stop} becomes {@code stop_sequences}; {@code top_p} is sent as is;
 * {@code user} (or {@code safety_identifier}) becomes {@code metadata.user_id}; {@code parallel_tool_calls: false}
 * becomes {@code disable_parallel_tool_use}; {@code top_k} and {@code thinking} (fields of a request that came in
 * as an Anthropic Messages request) are sent as they came. A {@code response_format} of {@code json_schema} becomes
 * the API's structured output, {@code output_config.format} (Claude 4.5 models and later hold the answer to the
 * schema). The API has no JSON mode without a schema, so {@code json_object} becomes an instruction at the end of
 * {@code system}; the answer is not guaranteed to be JSON. An answer prefilled with "{" would be likelier to be, but
 * it cannot be combined with tool use or extended thinking and would have to be patched back into every answer and
 * stream. Every other OpenAI field is left out, since the API rejects fields it does not know;
 * {@code n} above 1 is refused, since one answer is all the API gives.
 *
 * <p>Answers. Text blocks are joined, {@code tool_use} blocks become tool calls whose arguments are the JSON text
 * of their input. {@code prompt_tokens} counts every input token, cached or not
 * ({@code input_tokens + cache_creation_input_tokens + cache_read_input_tokens}, their sum being the prompt by the
 * API's own definition), and {@code prompt_tokens_details.cached_tokens} the cache reads, as OpenAI reports them.
 * A {@code refusal} stop reason, the API's safety refusal, becomes finish reason {@code content_filter}. Thinking
 * reaches the client as {@code reasoning_content}, in whole answers and in streams, as DeepSeek and OpenRouter send
 * reasoning; streamed, it counts as the first token.
 *
 * <p>The translation lives in {@link AnthropicRequests}, {@link AnthropicResponses}, {@link AnthropicErrors} and
 * {@link AnthropicStreamDecoder}, joined per request by {@link AnthropicTranslator}; this class says where and how
 * to call the API.
 */
public final class AnthropicDialect implements Dialect {

    public static final String DEFAULT_VERSION = DialectOptions.Anthropic.DEFAULT.version();
    public static final int DEFAULT_MAX_TOKENS = DialectOptions.Anthropic.DEFAULT.defaultMaxTokens();

    static final String PATH = "/messages";
    /** The header Anthropic's API, and every server of its protocol, reads the key from. */
    public static final String KEY_HEADER = "x-api-key";
    /** The headers a Messages client may send for its Anthropic target. */
    static final List<String> CLIENT_HEADERS = List.of("anthropic-version", "anthropic-beta");
    static final String JSON_INSTRUCTION = AnthropicRequests.JSON_INSTRUCTION;

    private final ObjectMapper json;
    private final Clock clock;
    private final String version;
    private final int defaultMaxTokens;

    /**
     * @param version          the {@code anthropic-version} header sent on every call
     * @param defaultMaxTokens the {@code max_tokens} of a request that names no limit (the API requires one)
     */
    public AnthropicDialect(ObjectMapper json, Clock clock, String version, int defaultMaxTokens) {
        this.json = json;
        this.clock = clock;
        this.version = version;
        this.defaultMaxTokens = defaultMaxTokens;
    }

    public AnthropicDialect(ObjectMapper json, Clock clock) {
        this(json, clock, DEFAULT_VERSION, DEFAULT_MAX_TOKENS);
    }

    /** The dialect for {@code provider}: {@code anthropic-version} and {@code default-max-tokens}. */
    public static AnthropicDialect of(DialectOptions.Anthropic options, ObjectMapper json, Clock clock) {
        return new AnthropicDialect(json, clock, options.version(), options.defaultMaxTokens());
    }

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public String chatPath(String upstreamModel, boolean stream) {
        return PATH;
    }

    @Override
    public String modelsPath() {
        return "/models";
    }

    @Override
    public Map<String, String> headers(String key) {
        return Map.of(KEY_HEADER, key, "anthropic-version", version);
    }

    /**
     * A Messages client's own {@code anthropic-version} (instead of the configured one) and {@code anthropic-beta}:
     * the betas it asked for are what its request's form may rely on.
     */
    @Override
    public Map<String, String> requestHeaders(ChatRequest request) {
        return ClientHeaders.of(request, CLIENT_HEADERS);
    }

    /**
     * Schema-held output ({@code output_config.format}); inline PDFs and text documents only: one answer per call, no
     * audio, no uploads by another provider's file id, no log probabilities.
     */
    @Override
    public Set<WireFeature> carries() {
        return CARRIES;
    }

    private static final Set<WireFeature> CARRIES = Set.of(WireFeature.JSON_SCHEMA);

    @Override
    public ChatTranslator translator(String upstreamModel) {
        return new AnthropicTranslator(json, clock, upstreamModel, defaultMaxTokens);
    }
}
