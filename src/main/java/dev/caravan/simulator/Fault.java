package dev.caravan.simulator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a simulated provider misbehaves, as sent to {@code POST /<provider>/_faults}. Every field is optional;
 * an empty fault is a healthy provider.
 *
 * @param latencyMs  wait this long before answering
 * @param jitterMs   plus a random wait up to this long
 * @param status     answer with this HTTP status and the provider's error body (429, 500, 503, 400, 401...)
 * @param errorRate  inject {@code status} (500 when unset) into only this share of calls, 0..1
 * @param retryAfter with a 429 or 503: the Retry-After header, in seconds
 * @param code       the error's {@code code} field, e.g. {@code context_length_exceeded}
 * @param mode       {@code hang} (never answer), {@code hold} (answer only once released, see
 *                   {@link SimulatedProvider#release()}: a call kept in flight for exactly as long as a test needs),
 *                   {@code reset} (close the connection before any header),
 *                   {@code malformed} (a 200 whose body is cut off) or {@code stall_body} (a 200 whose head and
 *                   first bytes arrive, then nothing more) or {@code cut_body} (a 200 whose body stops partway,
 *                   then the connection closes) or {@code flood} (a 200 whose body never ends: one endless line,
 *                   for whole and streamed answers alike, until the client hangs up) or {@code reject_prefill} (the
 *                   provider's 400 for a request whose last message is the assistant's: a server that takes no prefill)
 * @param times      apply to this many calls only, then heal
 * @param scope      {@code all} (default), {@code chat} (every answering endpoint: chat, Messages, generateContent
 *                   and Responses), {@code responses}, {@code embeddings}, {@code count_tokens} or
 *                   {@code models}: which endpoints misbehave
 * @param stream     how a streamed answer misbehaves; ignored by non-streamed calls
 * @param echoKey    echo the key the call carried: in an extra field and the id of a 200 answer and of every
 *                   stream event, in a response header, and in the message of an error answer
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Fault(
        @JsonProperty("latency_ms") Long latencyMs,
        @JsonProperty("jitter_ms") Long jitterMs,
        Integer status,
        @JsonProperty("error_rate") Double errorRate,
        @JsonProperty("retry_after") Integer retryAfter,
        String code,
        String mode,
        Integer times,
        String scope,
        StreamFault stream,
        @JsonProperty("echo_key") Boolean echoKey) {

    public Fault(Long latencyMs, Long jitterMs, Integer status, Double errorRate, Integer retryAfter, String code,
            String mode, Integer times, String scope, StreamFault stream) {
        this(latencyMs, jitterMs, status, errorRate, retryAfter, code, mode, times, scope, stream, null);
    }

    /** A healthy provider that echoes the key it was called with (see {@code echoKey}). */
    public static Fault echoingKey() {
        return none().withKeyEchoed();
    }

    public Fault withKeyEchoed() {
        return new Fault(latencyMs, jitterMs, status, errorRate, retryAfter, code, mode, times, scope, stream, true);
    }

    boolean echoesKey() {
        return Boolean.TRUE.equals(echoKey);
    }

    public static Fault none() {
        return new Fault(null, null, null, null, null, null, null, null, null, null);
    }

    public static Fault status(int status) {
        return new Fault(null, null, status, null, null, null, null, null, null, null);
    }

    public static Fault mode(String mode) {
        return new Fault(null, null, null, null, null, null, mode, null, null, null);
    }

    public static Fault latency(long millis) {
        return new Fault(millis, null, null, null, null, null, null, null, null, null);
    }

    public static Fault streaming(StreamFault stream) {
        return new Fault(null, null, null, null, null, null, null, null, null, stream);
    }

    public Fault withRetryAfter(int seconds) {
        return new Fault(latencyMs, jitterMs, status, errorRate, seconds, code, mode, times, scope, stream, echoKey);
    }

    public Fault withCode(String errorCode) {
        return new Fault(latencyMs, jitterMs, status, errorRate, retryAfter, errorCode, mode, times, scope, stream,
                echoKey);
    }

    public Fault times(int count) {
        return new Fault(latencyMs, jitterMs, status, errorRate, retryAfter, code, mode, count, scope, stream,
                echoKey);
    }

    /** This fault without its mode: what a held call plays once released (its latency, its error status). */
    Fault released() {
        return new Fault(latencyMs, jitterMs, status, errorRate, retryAfter, code, null, times, scope, stream, echoKey);
    }

    public Fault scope(String endpoints) {
        return new Fault(latencyMs, jitterMs, status, errorRate, retryAfter, code, mode, times, endpoints, stream,
                echoKey);
    }

    /**
     * How a streamed answer misbehaves, counted in content pieces (text fragments or tool-call fragments), so the
     * same fault means the same thing in every wire format. Every field is optional.
     *
     * @param firstTokenMs wait this long before the first content piece (the response head and role come at once)
     * @param chunkMs      wait this long between content pieces
     * @param stallAfter   after this many pieces, send nothing more and keep the connection open
     * @param cutAfter     after this many pieces, close the connection without ending the body
     * @param malformedAt  send an unreadable event before piece number N (0-based); the answer stays whole
     * @param noDone       end the body cleanly without the format's end marker ({@code [DONE]}, message_stop)
     * @param errorAfter   after this many pieces, send the provider's in-stream error event and end the body
     * @param keySplitAt   the text is the key the call carried, cut after this many characters: its two parts are
     *                     two pieces, so the key reaches the client's side split across two events
     * @param keyEscaped   with {@code keySplitAt}: the key's characters are written as JSON escapes (a backslash,
     *                     {@code u} and four hex digits)
     * @param splitWrites  each piece's frame is written in two writes, cut in its middle (mid-word, mid-escape)
     * @param keyInArguments with {@code keySplitAt}: the key is in a tool call's arguments, not the text
     * @param keyInReasoning with {@code keySplitAt}: the key is in the answer's reasoning, streamed in pieces before
     *                       its text, whether or not reasoning was asked for (a model that thinks aloud)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StreamFault(
            @JsonProperty("first_token_ms") Long firstTokenMs,
            @JsonProperty("chunk_ms") Long chunkMs,
            @JsonProperty("stall_after") Integer stallAfter,
            @JsonProperty("cut_after") Integer cutAfter,
            @JsonProperty("malformed_at") Integer malformedAt,
            @JsonProperty("no_done") Boolean noDone,
            @JsonProperty("error_after") Integer errorAfter,
            @JsonProperty("key_split_at") Integer keySplitAt,
            @JsonProperty("key_escaped") Boolean keyEscaped,
            @JsonProperty("split_writes") Boolean splitWrites,
            @JsonProperty("key_in_arguments") Boolean keyInArguments,
            @JsonProperty("key_in_reasoning") Boolean keyInReasoning) {

        public StreamFault(Long firstTokenMs, Long chunkMs, Integer stallAfter, Integer cutAfter, Integer malformedAt,
                Boolean noDone, Integer errorAfter) {
            this(firstTokenMs, chunkMs, stallAfter, cutAfter, malformedAt, noDone, errorAfter, null, null, null, null,
                    null);
        }

        public static StreamFault none() {
            return new StreamFault(null, null, null, null, null, null, null);
        }

        /** The key the call carried as the text, cut after {@code at} characters across two events. */
        public StreamFault keySplitAt(int at, boolean escaped, boolean splitWrites) {
            return new StreamFault(firstTokenMs, chunkMs, stallAfter, cutAfter, malformedAt, noDone, errorAfter, at,
                    escaped, splitWrites, keyInArguments, keyInReasoning);
        }

        /**
         * With {@link #keySplitAt}: the answer is a call of a tool whose arguments hold the key, cut across two
         * argument fragments (Chat Completions' {@code arguments}, Responses' {@code function_call_arguments.delta},
         * Messages' {@code input_json_delta}); Gemini, which sends a call's arguments whole as an object, sends it
         * whole.
         */
        public StreamFault inToolArguments() {
            return new StreamFault(firstTokenMs, chunkMs, stallAfter, cutAfter, malformedAt, noDone, errorAfter,
                    keySplitAt, keyEscaped, splitWrites, true, null);
        }

        /**
         * With {@link #keySplitAt}: the key is in the answer's reasoning, cut across two of its deltas (Chat
         * Completions' {@code reasoning_content}, as DeepSeek and vLLM stream it; Responses'
         * {@code reasoning_summary_text.delta}; Messages' {@code thinking_delta}; Gemini's thought parts).
         */
        public StreamFault inReasoning() {
            return new StreamFault(firstTokenMs, chunkMs, stallAfter, cutAfter, malformedAt, noDone, errorAfter,
                    keySplitAt, keyEscaped, splitWrites, null, true);
        }

        public StreamFault firstToken(long millis) {
            return new StreamFault(millis, chunkMs, stallAfter, cutAfter, malformedAt, noDone,
                    errorAfter, keySplitAt, keyEscaped, splitWrites, keyInArguments, keyInReasoning);
        }

        public StreamFault chunkEvery(long millis) {
            return new StreamFault(firstTokenMs, millis, stallAfter, cutAfter, malformedAt, noDone,
                    errorAfter, keySplitAt, keyEscaped, splitWrites, keyInArguments, keyInReasoning);
        }

        public StreamFault stallAfter(int pieces) {
            return new StreamFault(firstTokenMs, chunkMs, pieces, cutAfter, malformedAt, noDone,
                    errorAfter, keySplitAt, keyEscaped, splitWrites, keyInArguments, keyInReasoning);
        }

        public StreamFault cutAfter(int pieces) {
            return new StreamFault(firstTokenMs, chunkMs, stallAfter, pieces, malformedAt, noDone,
                    errorAfter, keySplitAt, keyEscaped, splitWrites, keyInArguments, keyInReasoning);
        }

        public StreamFault malformedAt(int piece) {
            return new StreamFault(firstTokenMs, chunkMs, stallAfter, cutAfter, piece, noDone,
                    errorAfter, keySplitAt, keyEscaped, splitWrites, keyInArguments, keyInReasoning);
        }

        public StreamFault withoutDone() {
            return new StreamFault(firstTokenMs, chunkMs, stallAfter, cutAfter, malformedAt, true,
                    errorAfter, keySplitAt, keyEscaped, splitWrites, keyInArguments, keyInReasoning);
        }

        public StreamFault errorAfter(int pieces) {
            return new StreamFault(firstTokenMs, chunkMs, stallAfter, cutAfter, malformedAt, noDone, pieces,
                    keySplitAt, keyEscaped, splitWrites, keyInArguments, keyInReasoning);
        }
    }

    /** This fault, when it is one the simulator can play; else an IllegalArgumentException naming the field. */
    public Fault checked() {
        if (mode != null && !java.util.List.of("hang", "hold", "reset", "malformed", "stall_body", "cut_body",
                "flood", "reject_prefill").contains(mode)) {
            throw new IllegalArgumentException("'mode' must be hang, hold, reset, malformed, stall_body, cut_body, "
                    + "flood or reject_prefill");
        }
        if (scope != null && !java.util.List.of("all", Api.CHAT, Api.RESPONSES, Api.EMBEDDINGS, Api.COUNT_TOKENS,
                Api.MODELS).contains(scope)) {
            throw new IllegalArgumentException("'scope' must be all, chat, responses, embeddings, count_tokens or "
                    + "models");
        }
        return this;
    }

    boolean applies(String endpoint) {
        return scope == null || scope.equals("all") || scope.equals(endpoint)
                || scope.equals(Api.CHAT) && endpoint.equals(Api.RESPONSES);
    }
}
