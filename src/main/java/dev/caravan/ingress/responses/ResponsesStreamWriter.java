package dev.caravan.ingress.responses;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatChunk;
import dev.caravan.chat.StreamSink;
import dev.caravan.chat.ToolCall;
import dev.caravan.chat.Usage;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.stream.StreamWriter;

/**
 * A streamed answer in the Responses API's own events, from canonical chunks: {@code response.created} and
 * {@code response.in_progress} at the commit point, then each output item opened ({@code output_item.added}), filled
 * ({@code content_part.added} and {@code output_text.delta}, {@code reasoning_summary_text.delta},
 * {@code function_call_arguments.delta}, {@code refusal.delta}) and closed ({@code ...done}), and
 * {@code response.completed} (or {@code response.incomplete}) with the whole response and its usage. A stream cut
 * after its first content ends with an {@code error} event and {@code response.failed}, then an aborted body: never
 * with a completion. Every event is named ({@code event:}) and numbered ({@code sequence_number}), and scrubbed of
 * the configured keys on its way out. One per streamed attempt; nothing is written before {@link #begin}.
 */
public final class ResponsesStreamWriter implements StreamWriter {

    private enum Open { NONE, REASONING, TEXT, REFUSAL, CALL }

    private final ObjectMapper json;
    private final SecretRedactor redactor;
    private final StreamSink sink;
    private final ResponsesTurn turn;
    private final BiConsumer<ObjectNode, ResponseAnswer> completed;

    private int sequence;
    private int outputIndex = -1;
    private int contentIndex = -1;
    private Open open = Open.NONE;
    private boolean messageOpen;
    private String model;
    private String finishReason;
    private Usage usage;
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder refusal = new StringBuilder();
    private final List<Call> calls = new ArrayList<>();

    /** One function call being streamed: the chunk index it arrives under, and its fragments so far. */
    private static final class Call {
        final int chunkIndex;
        final int outputIndex;
        String id;
        String name;
        final StringBuilder arguments = new StringBuilder();

        Call(int chunkIndex, int outputIndex) {
            this.chunkIndex = chunkIndex;
            this.outputIndex = outputIndex;
        }
    }

    /**
     * @param completed told the whole response and answer once it is complete, before the client is told: what a
     *                  later request may continue from must be stored by then
     */
    public ResponsesStreamWriter(ObjectMapper json, SecretRedactor redactor, StreamSink sink, ResponsesTurn turn,
            BiConsumer<ObjectNode, ResponseAnswer> completed) {
        this.json = json;
        this.redactor = redactor;
        this.sink = sink;
        this.turn = turn;
        this.completed = completed;
    }

    @Override
    public void begin(StreamSink.Commit commit) {
        model = commit.model();
        sink.begin(commit);
        write(withResponse("response.created", "in_progress", null, null));
        write(withResponse("response.in_progress", "in_progress", null, null));
    }

    @Override
    public void chunk(ChatChunk chunk) {
        if (chunk.model() != null) {
            model = chunk.model();
        }
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
        if (chunk.choices() == null || chunk.choices().isEmpty()) {
            return;
        }
        ChatChunk.Choice choice = chunk.choices().getFirst();
        ChatChunk.Delta delta = choice.delta();
        if (delta != null) {
            String thought = reasoningText(delta);
            if (thought != null) {
                reasoningDelta(thought);
            }
            if (delta.content() != null && !delta.content().isEmpty()) {
                textDelta(delta.content());
            }
            if (delta.refusal() != null && !delta.refusal().isEmpty()) {
                refusalDelta(delta.refusal());
            }
            if (delta.toolCalls() != null) {
                for (JsonNode call : delta.toolCalls()) {
                    callDelta(call);
                }
            }
        }
        if (choice.finishReason() != null) {
            finishReason = choice.finishReason();
        }
    }

    @Override
    public void complete(ChatChunk last) {
        if (last != null && last.usage() != null) {
            usage = last.usage();
        }
        close();
        ResponseAnswer answer = answer();
        String status = ResponseObjects.status(finishReason);
        ObjectNode response = ResponseObjects.response(turn, model, status, answer, null);
        completed.accept(response, answer);
        ObjectNode event = event("incomplete".equals(status) ? "response.incomplete" : "response.completed");
        event.set("response", response);
        write(event);
        sink.end();
    }

    @Override
    public void broken(String reason) {
        String message = "The answer was cut off: " + reason + ".";
        write(event("error").put("code", "stream_broken").put("message", message).putNull("param"));
        ObjectNode error = json.createObjectNode().put("code", "server_error").put("message", message);
        write(withResponse("response.failed", "failed", answer(), error));
        sink.abort();
    }

    @Override
    public boolean clientGone() {
        return sink.clientGone();
    }

    private static String reasoningText(ChatChunk.Delta delta) {
        for (String field : List.of("reasoning_content", "reasoning")) {
            JsonNode value = delta.extra().get(field);
            if (value != null && value.isTextual() && !value.asText().isEmpty()) {
                return value.asText();
            }
        }
        return null;
    }

    private void reasoningDelta(String piece) {
        if (open != Open.REASONING) {
            close();
            open = Open.REASONING;
            outputIndex++;
            added(ResponseObjects.reasoning(turn, null));
            ObjectNode part = at(event("response.reasoning_summary_part.added"), ResponseObjects.reasoningId(turn))
                    .put("summary_index", 0);
            part.set("part", ResponseObjects.summaryPart(""));
            write(part);
        }
        reasoning.append(piece);
        write(at(event("response.reasoning_summary_text.delta"), ResponseObjects.reasoningId(turn))
                .put("summary_index", 0).put("delta", piece));
    }

    private void textDelta(String piece) {
        if (open != Open.TEXT) {
            openPart(Open.TEXT, ResponseObjects.textPart(""));
        }
        text.append(piece);
        ObjectNode delta = inPart(event("response.output_text.delta")).put("delta", piece);
        delta.putArray("logprobs");
        write(delta);
    }

    private void refusalDelta(String piece) {
        if (open != Open.REFUSAL) {
            openPart(Open.REFUSAL, ResponseObjects.refusalPart(""));
        }
        refusal.append(piece);
        write(inPart(event("response.refusal.delta")).put("delta", piece));
    }

    private void openPart(Open kind, ObjectNode part) {
        if (open != Open.TEXT && open != Open.REFUSAL) {
            close();
        } else {
            closePart();
        }
        if (!messageOpen) {
            messageOpen = true;
            outputIndex++;
            contentIndex = -1;
            added(ResponseObjects.message(turn, null, null, "in_progress"));
        }
        open = kind;
        contentIndex++;
        ObjectNode added = inPart(event("response.content_part.added"));
        added.set("part", part);
        write(added);
    }

    private void callDelta(JsonNode delta) {
        int index = delta.path("index").asInt(calls.size());
        Call call = open == Open.CALL ? calls.getLast() : null;
        if (call == null || call.chunkIndex != index) {
            close();
            open = Open.CALL;
            outputIndex++;
            call = new Call(index, outputIndex);
            calls.add(call);
            call.id = delta.path("id").asText(null);
            call.name = delta.path("function").path("name").asText(null);
            added(ResponseObjects.functionCall(turn, calls.size() - 1, call.id, call.name, "", "in_progress"));
        }
        String fragment = delta.path("function").path("arguments").asText("");
        if (!fragment.isEmpty()) {
            call.arguments.append(fragment);
            write(at(event("response.function_call_arguments.delta"), ResponseObjects.callId(turn, calls.size() - 1))
                    .put("delta", fragment));
        }
    }

    /** Closes whatever item is open, with its {@code ...done} events. */
    private void close() {
        switch (open) {
            case REASONING -> {
                String id = ResponseObjects.reasoningId(turn);
                write(at(event("response.reasoning_summary_text.done"), id).put("summary_index", 0)
                        .put("text", reasoning.toString()));
                ObjectNode part = at(event("response.reasoning_summary_part.done"), id).put("summary_index", 0);
                part.set("part", ResponseObjects.summaryPart(reasoning.toString()));
                write(part);
                done(ResponseObjects.reasoning(turn, reasoning.toString()));
            }
            case TEXT, REFUSAL -> {
                closePart();
                messageOpen = false;
                done(ResponseObjects.message(turn, text.isEmpty() ? null : text.toString(),
                        refusal.isEmpty() ? null : refusal.toString(), "completed"));
            }
            case CALL -> {
                Call call = calls.getLast();
                String id = ResponseObjects.callId(turn, calls.size() - 1);
                write(at(event("response.function_call_arguments.done"), id).put("name", call.name)
                        .put("arguments", call.arguments.toString()));
                done(ResponseObjects.functionCall(turn, calls.size() - 1, call.id, call.name,
                        call.arguments.toString(), "completed"));
            }
            case NONE -> {
            }
        }
        open = Open.NONE;
    }

    private void closePart() {
        if (open == Open.TEXT) {
            ObjectNode done = inPart(event("response.output_text.done")).put("text", text.toString());
            done.putArray("logprobs");
            write(done);
            ObjectNode part = inPart(event("response.content_part.done"));
            part.set("part", ResponseObjects.textPart(text.toString()));
            write(part);
        } else if (open == Open.REFUSAL) {
            write(inPart(event("response.refusal.done")).put("refusal", refusal.toString()));
            ObjectNode part = inPart(event("response.content_part.done"));
            part.set("part", ResponseObjects.refusalPart(refusal.toString()));
            write(part);
        }
    }

    private ResponseAnswer answer() {
        List<ToolCall> made = new ArrayList<>();
        for (Call call : calls) {
            made.add(ToolCall.function(call.id, call.name, call.arguments.toString()));
        }
        return new ResponseAnswer(model, reasoning.isEmpty() ? null : reasoning.toString(),
                text.isEmpty() ? null : text.toString(), refusal.isEmpty() ? null : refusal.toString(), made,
                finishReason, usage);
    }

    private void added(ObjectNode item) {
        ObjectNode event = event("response.output_item.added").put("output_index", outputIndex);
        event.set("item", item);
        write(event);
    }

    private void done(ObjectNode item) {
        ObjectNode event = event("response.output_item.done").put("output_index", outputIndex);
        event.set("item", item);
        write(event);
    }

    private ObjectNode at(ObjectNode event, String itemId) {
        return event.put("item_id", itemId).put("output_index", outputIndex);
    }

    private ObjectNode inPart(ObjectNode event) {
        return at(event, ResponseObjects.messageId(turn)).put("content_index", contentIndex);
    }

    private ObjectNode withResponse(String type, String status, ResponseAnswer answer, ObjectNode error) {
        ObjectNode event = event(type);
        event.set("response", ResponseObjects.response(turn, model, status, answer, error));
        return event;
    }

    private ObjectNode event(String type) {
        return json.createObjectNode().put("type", type).put("sequence_number", sequence++);
    }

    private void write(ObjectNode event) {
        try {
            byte[] data = redactor.scrub(json.writeValueAsBytes(event));
            byte[] name = ("event: " + event.get("type").asText() + "\ndata: ").getBytes(StandardCharsets.US_ASCII);
            byte[] frame = new byte[name.length + data.length + 2];
            System.arraycopy(name, 0, frame, 0, name.length);
            System.arraycopy(data, 0, frame, name.length, data.length);
            frame[frame.length - 2] = '\n';
            frame[frame.length - 1] = '\n';
            sink.write(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stream event could not be written as JSON", e);
        }
    }
}
