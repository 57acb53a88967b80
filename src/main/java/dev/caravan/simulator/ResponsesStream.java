package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.simulator.SimulatedWire.Answer;
import dev.caravan.simulator.SimulatedWire.Frames;
import dev.caravan.simulator.SimulatedWire.SimRequest;

/**
 * One streamed Responses answer as the API sends it: {@code response.created}, {@code response.in_progress}, the
 * reasoning item when asked, then the message ({@code output_item.added}, {@code content_part.added},
 * {@code output_text.delta}..., {@code output_text.done}, {@code content_part.done}, {@code output_item.done}) or
 * the function call ({@code function_call_arguments.delta}/{@code .done}), ending in {@code response.completed}
 * ({@code response.incomplete} when the token limit cut it). Every event is named and carries its
 * {@code sequence_number}; an error inside the stream is an {@code error} event and then {@code response.failed}.
 */
final class ResponsesStream {

    private final ObjectMapper json;
    private final ResponsesWire wire;
    private final SimRequest request;
    private final Answer answer;
    private int sequence;

    ResponsesStream(ObjectMapper json, ResponsesWire wire, SimRequest request, Answer answer) {
        this.json = json;
        this.wire = wire;
        this.request = request;
        this.answer = answer;
    }

    Frames frames() {
        List<String> head = new ArrayList<>();
        head.add(frame(withResponse("response.created", false)));
        head.add(frame(withResponse("response.in_progress", false)));
        int index = 0;
        List<String> content = new ArrayList<>();
        List<String> tail = new ArrayList<>();
        // what opens the answer's item: the head, unless reasoning streams in pieces first (then it follows them)
        List<String> opening = head;
        if (answer.reasoning() != null) {
            opening = reasoning(head, content);
            index = 1;
        }
        if (answer.toolName() != null) {
            ObjectNode opened = event("response.output_item.added").put("output_index", index);
            opened.set("item", wire.call(answer, "", "in_progress"));
            opening.add(frame(opened));
            String arguments = answer.toolArguments();
            for (String fragment : AnthropicWire.fragments(answer)) {
                content.add(frame(event("response.function_call_arguments.delta").put("item_id", "fc_" + answer.id())
                        .put("output_index", index).put("delta", fragment)));
            }
            tail.add(frame(event("response.function_call_arguments.done").put("item_id", "fc_" + answer.id())
                    .put("output_index", index).put("arguments", arguments)));
            ObjectNode closed = event("response.output_item.done").put("output_index", index);
            closed.set("item", wire.call(answer, arguments, "completed"));
            tail.add(frame(closed));
        } else {
            String id = "msg_" + answer.id();
            ObjectNode opened = event("response.output_item.added").put("output_index", index);
            opened.set("item", wire.message(answer, request, "", "in_progress"));
            opening.add(frame(opened));
            ObjectNode part = event("response.content_part.added").put("item_id", id).put("output_index", index)
                    .put("content_index", 0);
            part.set("part", wire.part(answer, request, ""));
            opening.add(frame(part));
            for (String piece : answer.pieces()) {
                ObjectNode delta = event("response.output_text.delta").put("item_id", id).put("output_index", index)
                        .put("content_index", 0).put("delta", piece);
                delta.set("logprobs", wire.logprobs(request, List.of(piece)));
                content.add(frame(delta));
            }
            ObjectNode done = event("response.output_text.done").put("item_id", id).put("output_index", index)
                    .put("content_index", 0).put("text", answer.text());
            done.set("logprobs", wire.logprobs(request, answer.pieces()));
            tail.add(frame(done));
            ObjectNode partDone = event("response.content_part.done").put("item_id", id).put("output_index", index)
                    .put("content_index", 0);
            partDone.set("part", wire.part(answer, request, answer.text()));
            tail.add(frame(partDone));
            ObjectNode closed = event("response.output_item.done").put("output_index", index);
            closed.set("item", wire.message(answer, request, answer.text(),
                    answer.truncated() ? "incomplete" : "completed"));
            tail.add(frame(closed));
        }
        ObjectNode last = withResponse(answer.truncated() ? "response.incomplete" : "response.completed", true);
        // an error event takes the number of the event it replaces: one per frame sent before it
        return new Frames(head, content, tail, List.of(frame(last)), this::error);
    }

    /**
     * The reasoning item's events: in the head, but for the summary's deltas when it streams in pieces, which are
     * content, followed by the rest; returns where the events after them go.
     */
    private List<String> reasoning(List<String> head, List<String> content) {
        ObjectNode added = event("response.output_item.added").put("output_index", 0);
        ObjectNode item = json.createObjectNode().put("id", "rs_" + answer.id()).put("type", "reasoning");
        item.putArray("summary");
        added.set("item", item);
        head.add(frame(added));
        List<String> after = head;
        if (request.raw().at("/reasoning/summary").isTextual() || answer.reasoningPieces() != null) {
            ObjectNode part = json.createObjectNode().put("type", "summary_text").put("text", "");
            ObjectNode partAdded = event("response.reasoning_summary_part.added").put("item_id", "rs_" + answer.id())
                    .put("output_index", 0).put("summary_index", 0);
            partAdded.set("part", part);
            head.add(frame(partAdded));
            if (answer.reasoningPieces() != null) {
                after = content;
            }
            for (String piece : answer.reasoningStreamed()) {
                after.add(frame(event("response.reasoning_summary_text.delta").put("item_id", "rs_" + answer.id())
                        .put("output_index", 0).put("summary_index", 0).put("delta", piece)));
            }
            after.add(frame(event("response.reasoning_summary_text.done").put("item_id", "rs_" + answer.id())
                    .put("output_index", 0).put("summary_index", 0).put("text", answer.reasoning())));
            ObjectNode partDone = event("response.reasoning_summary_part.done").put("item_id", "rs_" + answer.id())
                    .put("output_index", 0).put("summary_index", 0);
            partDone.set("part", part.deepCopy().put("text", answer.reasoning()));
            after.add(frame(partDone));
            item = item.deepCopy();
            item.putArray("summary").add(part.deepCopy().put("text", answer.reasoning()));
        }
        ObjectNode done = event("response.output_item.done").put("output_index", 0);
        done.set("item", item);
        after.add(frame(done));
        return after;
    }

    /** The error event and the failed response that end a stream broken after {@code sent} events. */
    private String error(int sent) {
        ObjectNode error = json.createObjectNode().put("type", "error").put("code", "server_error")
                .put("message", "The server had an error while processing your request. Sorry about that!")
                .putNull("param").put("sequence_number", sent);
        ObjectNode response = wire.response(request, answer, false).put("status", "failed");
        response.putObject("error").put("code", "server_error").put("message", error.get("message").asText());
        ObjectNode failed = json.createObjectNode().put("type", "response.failed").put("sequence_number", sent + 1);
        failed.set("response", response);
        return "event: error\ndata: " + error + "\n\nevent: response.failed\ndata: " + failed + "\n\n";
    }

    private ObjectNode event(String type) {
        return json.createObjectNode().put("type", type).put("sequence_number", sequence++);
    }

    private ObjectNode withResponse(String type, boolean done) {
        ObjectNode event = event(type);
        event.set("response", wire.response(request, answer, done));
        return event;
    }

    private static String frame(ObjectNode event) {
        return "event: " + event.get("type").asText() + "\ndata: " + event + "\n\n";
    }
}
