package dev.caravan.simulator;

import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpServerRequest;

/**
 * One provider wire format as the simulator speaks it: how a request is read and authorised, and how answers,
 * streams, errors and model listings are written, byte-faithful to the provider's documented API. The
 * {@link Simulator} owns the HTTP server, timing and faults; a wire only shapes bytes, so each dialect's fidelity
 * lives in one class.
 */
interface SimulatedWire {

    /** The dialect name, as in {@code caravan.provider.<id>.dialect}. */
    String dialect();

    /** The API root below {@code /<provider>} that a gateway's base URL points at: {@code /v1}, {@code /v1beta}. */
    String basePath();

    /** The provider's 401 (or 403) answer when {@code request} does not carry an acceptable key; null when it does. */
    Reply unauthorised(HttpServerRequest request, String requiredKey);

    /**
     * Reads a chat request.
     *
     * @param pathModel  the model named in the URL (Gemini), else null
     * @param pathStream true when the URL asked for a stream (Gemini's streamGenerateContent)
     * @throws Rejected with the provider's 400 when the body is not a valid request
     */
    SimRequest read(JsonNode body, String pathModel, boolean pathStream);

    /** A complete, non-streamed answer. */
    Reply completion(SimRequest request, Answer answer);

    /** A streamed answer, as frames the simulator sends one by one (each a complete SSE event). */
    Frames stream(SimRequest request, Answer answer);

    /** The SSE event a provider sends when it fails inside a stream (an overload, as providers do). */
    String streamError();

    /** An event that is not valid in this format (cut-off JSON). */
    String malformedFrame();

    /** The provider's error answer for {@code status}, shaped as it documents them; {@code fault.code()} refines it. */
    Reply error(int status, Fault fault);

    /** The provider's free model listing. */
    Reply models();

    /** A request the simulated provider refuses with its own 400. */
    final class Rejected extends RuntimeException {

        final transient Reply reply;

        Rejected(Reply reply) {
            super(null, null, false, false);
            this.reply = reply;
        }
    }

    /**
     * What the caller asked, as far as the simulator cares.
     *
     * @param includeUsage whether a stream ends with usage (OpenAI's {@code stream_options.include_usage})
     * @param raw          the request body as sent
     */
    record SimRequest(String model, String prompt, boolean stream, boolean includeUsage, JsonNode raw, Asked asked) {
    }

    /**
     * The simulated answer: one choice per asked {@code n}, each either text or a tool call.
     *
     * @param reasoningTokens tokens spent thinking (counted in the completion tokens), 0 when no reasoning was asked
     * @param reasoning       the reasoning summary shown when it was asked for; null otherwise
     * @param created         when it was made, in epoch seconds
     * @param reasoningPieces the reasoning in the pieces a stream sends one per event, before the text; null to send
     *                        it in one
     */
    record Answer(String id, List<Choice> choices, int promptTokens, int reasoningTokens, String reasoning,
            long created, List<String> reasoningPieces) {

        Answer(String id, List<Choice> choices, int promptTokens, int reasoningTokens, String reasoning,
                long created) {
            this(id, choices, promptTokens, reasoningTokens, reasoning, created, null);
        }

        /** The reasoning as a stream sends it: in its pieces, else in one; empty without reasoning. */
        List<String> reasoningStreamed() {
            return reasoningPieces != null ? reasoningPieces : reasoning == null ? List.of() : List.of(reasoning);
        }

        Choice first() {
            return choices.get(0);
        }

        List<String> pieces() {
            return first().pieces();
        }

        String toolName() {
            return first().toolName();
        }

        String toolArguments() {
            return first().toolArguments();
        }

        String text() {
            return first().text();
        }

        boolean truncated() {
            return first().truncated();
        }

        /** The tokens of every choice plus the reasoning. */
        int completionTokens() {
            return choices.stream().mapToInt(Choice::tokens).sum() + reasoningTokens;
        }
    }

    /**
     * One answer choice. With {@code toolName} set it is a call of that tool with {@code toolArguments} (a JSON
     * object as text) and {@code pieces} are empty.
     *
     * @param pieces    the text in the pieces a stream sends one per event; joined, the whole text
     * @param truncated the text stopped at the asked token limit
     */
    record Choice(int index, List<String> pieces, String toolName, String toolArguments, boolean truncated,
            int tokens) {

        String text() {
            return String.join("", pieces);
        }
    }

    /**
     * A streamed answer in its parts, so that faults can be applied at content boundaries whatever the format.
     *
     * @param head    what precedes the content (role chunk, message_start, content_block_start)
     * @param content one frame per content piece (or per tool-call fragment)
     * @param tail    what follows it (finish reason, usage, content_block_stop, message_delta)
     * @param end     the end marker alone ({@code [DONE]}, message_stop, response.completed); empty for formats
     *                without one
     * @param error   the in-stream error given the number of frames sent before it, for formats whose events are
     *                numbered; null to send {@link #streamError()}
     */
    record Frames(List<String> head, List<String> content, List<String> tail, List<String> end,
            IntFunction<String> error) {

        Frames(List<String> head, List<String> content, List<String> tail, List<String> end) {
            this(head, content, tail, end, null);
        }

        /** The in-stream error after {@code sent} frames: this stream's own, else the wire's. */
        String error(SimulatedWire wire, int sent) {
            return error != null ? error.apply(sent) : wire.streamError();
        }
    }

    /** An HTTP answer: status, headers, JSON body. */
    record Reply(int status, Map<String, String> headers, JsonNode body) {

        static Reply of(int status, JsonNode body) {
            return new Reply(status, Map.of(), body);
        }
    }
}
