package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ErrorBody;
import dev.caravan.simulator.SimulatedWire.Answer;
import dev.caravan.simulator.SimulatedWire.Rejected;
import dev.caravan.simulator.SimulatedWire.Reply;
import dev.caravan.simulator.SimulatedWire.SimRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * The answering endpoints once a call is let through: a chat request in any wire answered whole or streamed, and
 * the Responses API with its store ({@code store}, {@code previous_response_id}, {@code GET /v1/responses/{id}}).
 */
final class ChatEndpoints {

    private final ObjectMapper json;
    private final Misbehaviour out;
    private final Streamer streamer;
    private final ResponsesWire responses;
    private final Answers answers;

    ChatEndpoints(ObjectMapper json, Misbehaviour out, Streamer streamer, ResponsesWire responses) {
        this.json = json;
        this.out = out;
        this.streamer = streamer;
        this.responses = responses;
        this.answers = new Answers(json);
    }

    void chat(RoutingContext ctx, SimulatedProvider provider, Fault fault, SimulatedWire wire, JsonNode body,
            String pathModel, boolean pathStream) {
        SimRequest request = wire.read(body, pathModel, pathStream);
        if ("reject_prefill".equals(fault.mode()) && prefilled(body)) {
            throw new Rejected(wire.error(400, fault.withCode("prefill_not_supported")));
        }
        send(ctx, provider, fault, wire, request, answers.answer(provider.name(), request));
    }

    /** True when the conversation ends with the model's own turn, for it to continue (a prefill). */
    private static boolean prefilled(JsonNode body) {
        JsonNode turns = body.has("contents") ? body.get("contents") : body.path("messages");
        return turns.isArray() && !turns.isEmpty()
                && java.util.List.of("assistant", "model").contains(turns.get(turns.size() - 1).path("role").asText());
    }

    /**
     * A Responses call. A {@code previous_response_id} must name a response this provider stored (another
     * provider's is unknown here, as on the real API); its conversation counts in the prompt's tokens.
     */
    void responses(RoutingContext ctx, SimulatedProvider provider, Fault fault, JsonNode body) {
        SimRequest request = responses.read(body, null, false);
        JsonNode previousId = body.get("previous_response_id");
        if (previousId != null && !previousId.isNull()) {
            ObjectNode previous = provider.responses().get(previousId.asText());
            if (previous == null) {
                throw new Rejected(responses.invalid("Previous response with id '" + previousId.asText()
                        + "' not found.", "previous_response_id", "previous_response_not_found"));
            }
            int carried = previous.at("/usage/total_tokens").asInt(0);
            request = new SimRequest(request.model(), request.prompt(), request.stream(), request.includeUsage(),
                    request.raw(), request.asked().withPromptTokens(request.asked().promptTokens() + carried));
        }
        Answer answer = answers.answer(provider.name(), request);
        if (body.path("store").asBoolean(true)) {
            provider.responses().put(responses.response(request, answer, true));
        }
        send(ctx, provider, fault, responses, request, answer);
    }

    /** {@code GET /v1/responses/{id}}: the stored response, or OpenAI's 404. */
    void stored(RoutingContext ctx, SimulatedProvider provider, Fault fault, String id) {
        ObjectNode response = provider.responses().get(id);
        if (response == null) {
            out.reply(ctx.response(), Reply.of(404, ErrorBody.of(json, "Response with id '" + id + "' not found.",
                    "invalid_request_error", "not_found", "response_id")));
            return;
        }
        out.answer(ctx, fault, Reply.of(200, response.deepCopy()));
    }

    private void send(RoutingContext ctx, SimulatedProvider provider, Fault fault, SimulatedWire wire,
            SimRequest request, Answer answer) {
        if (request.stream()) {
            Integer splitAt = fault.stream() == null ? null : fault.stream().keySplitAt();
            String key = splitAt == null ? null : Misbehaviour.presentedKey(ctx);
            if (key != null && key.length() > 1) {
                // a provider that writes the key it was called with into the text, cut across two events
                splitAt = Math.max(1, Math.min(splitAt, key.length() - 1)); // both parts hold some of it
                List<String> echoed = List.of("Your key: ", key.substring(0, splitAt), key.substring(splitAt),
                        " is it.");
                SimulatedWire.Choice first = answer.first();
                List<SimulatedWire.Choice> choices = new ArrayList<>(answer.choices());
                if (Boolean.TRUE.equals(fault.stream().keyInReasoning())) {
                    // the answer as asked, after reasoning that holds the key
                    answer = new Answer(answer.id(), choices, answer.promptTokens(), answer.reasoningTokens(),
                            String.join("", echoed), answer.created(), echoed);
                } else {
                    choices.set(0, Boolean.TRUE.equals(fault.stream().keyInArguments())
                            // a call whose arguments, streamed as these fragments, hold the key
                            ? new SimulatedWire.Choice(first.index(), List.of("{\"key\":\"",
                                    key.substring(0, splitAt), key.substring(splitAt), "\"}"), "echo",
                                    "{\"key\":\"" + key + "\"}", false, first.tokens())
                            : new SimulatedWire.Choice(first.index(), echoed, null, null, false, first.tokens()));
                    answer = new Answer(answer.id(), choices, answer.promptTokens(), answer.reasoningTokens(),
                            answer.reasoning(), answer.created());
                }
            }
            streamer.stream(ctx, provider, wire, wire.stream(request, answer), fault);
        } else {
            out.answer(ctx, fault, wire.completion(request, answer));
        }
    }
}
