package dev.caravan.routing;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured line per request on logger {@code caravan.requests}: a JSON object with the request id, ingress,
 * alias, policy, every attempt (provider, model, outcome, status, time), who served it, latency, tokens and cost.
 * Prompt and completion text appear only with {@code caravan.log.content = true}; provider messages are already
 * redacted when they reach an attempt. The lines go to a {@link RequestLogWriter} (the console by default,
 * {@code caravan.log.requests}) or through Log4j; either way the logger's level can turn them off.
 */
public final class RequestLog {

    private static final Logger REQUESTS = LoggerFactory.getLogger("caravan.requests");

    private final ObjectMapper json;
    private final boolean content;
    private final RequestLogWriter writer;

    /** Lines through Log4j (logger {@code caravan.requests}, routed by log4j2.properties). */
    public RequestLog(ObjectMapper json, boolean content) {
        this(json, content, null);
    }

    /**
     * @param writer where the lines go, built as UTF-8 bytes straight into its batches; null: through Log4j
     */
    public RequestLog(ObjectMapper json, boolean content, RequestLogWriter writer) {
        this.json = json;
        this.content = content;
        this.writer = writer;
    }

    /**
     * @param status   a failure's status as the HTTP ingress shows it
     * @param ingress  http, jms or file
     * @param costUsd  the answer's cost from its usage, or null when unknown
     * @param resumed  where a broken stream went on on another target ({@code from@piece>to}), in order; empty when
     *                 it was not resumed
     * @param client   the named client it came from, or null
     */
    public void write(RoutingState state, Outcome outcome, int status, String ingress, boolean stream,
            ChatRequest request, Double costUsd, List<String> resumed, String client) {
        // the logger's level still turns the line off, whichever way it is written
        if (!REQUESTS.isInfoEnabled()) {
            return;
        }
        if (writer != null) {
            try {
                writer.append(line -> writeLine(line, state, outcome, status, ingress, stream, request, costUsd,
                        resumed, client));
            } catch (IOException e) {
                REQUESTS.warn("request {} could not be logged as JSON: {}", state.requestId(), e.toString());
            }
            return;
        }
        // the line is written into buffers from the mapper's shared pool; a StringWriter would grow (and copy) a
        // fresh buffer for every request, then copy it once more into the string
        BufferRecycler buffers = json.getFactory()._getBufferRecycler();
        String written;
        try (SegmentedStringWriter text = new SegmentedStringWriter(buffers)) {
            try (JsonGenerator line = json.getFactory().createGenerator(text)) {
                writeLine(line, state, outcome, status, ingress, stream, request, costUsd, resumed, client);
            }
            written = text.getAndClear();
        } catch (IOException e) {
            REQUESTS.warn("request {} could not be logged as JSON", state.requestId());
            return;
        } finally {
            buffers.releaseToPool();
        }
        REQUESTS.info(written);
    }

    private void writeLine(JsonGenerator line, RoutingState state, Outcome outcome, int status, String ingress,
            boolean stream, ChatRequest request, Double costUsd, List<String> resumed, String client)
            throws IOException {
        line.writeStartObject();
        line.writeStringField("request_id", state.requestId());
        line.writeStringField("ingress", ingress);
        if (client != null) {
            line.writeStringField("client", client);
        }
        line.writeStringField("alias", state.alias());
        line.writeStringField("policy", state.policy().label());
        line.writeBooleanField("stream", stream);
        line.writeArrayFieldStart("attempts");
        for (Attempt a : state.attempts()) {
            line.writeStartObject();
            line.writeStringField("provider", a.target().provider());
            line.writeStringField("model", a.target().model());
            line.writeStringField("outcome", a.outcome());
            if (a.status() > 0) {
                line.writeNumberField("status", a.status());
            }
            line.writeNumberField("ms", a.millis());
            if (a.message() != null) {
                line.writeStringField("reason", a.message());
            }
            line.writeEndObject();
        }
        line.writeEndArray();
        if (!resumed.isEmpty()) {
            line.writeArrayFieldStart("resumed");
            for (String seam : resumed) {
                line.writeString(seam);
            }
            line.writeEndArray();
        }
        switch (outcome) {
            case Outcome.Served served -> {
                line.writeStringField("outcome", "served");
                line.writeStringField("served_by", served.target().toString());
                Usage usage = served.response() == null ? null : served.response().usage();
                if (usage != null) {
                    writeIfPresent(line, "tokens_in", usage.promptTokens());
                    writeIfPresent(line, "tokens_out", usage.completionTokens());
                }
            }
            case Outcome.Failed failed -> {
                line.writeStringField("outcome", failed.abandoned() ? "abandoned" : "failed");
                line.writeNumberField("status", status);
                line.writeStringField("code", failed.code());
            }
        }
        line.writeNumberField("latency_ms", outcomeMillis(outcome));
        if (costUsd != null) {
            line.writeNumberField("cost_usd", costUsd);
        }
        if (content && request != null) {
            writeContent(line, outcome, request);
        }
        line.writeEndObject();
    }

    private static void writeContent(JsonGenerator line, Outcome outcome, ChatRequest request) throws IOException {
        line.writeArrayFieldStart("prompt");
        for (ChatMessage m : request.messages()) {
            line.writeStartObject();
            line.writeStringField("role", m.role());
            line.writeStringField("text", m.text());
            line.writeEndObject();
        }
        line.writeEndArray();
        if (outcome instanceof Outcome.Served served && served.response() != null
                && served.response().choices() != null && !served.response().choices().isEmpty()) {
            ChatResponse.Choice choice = served.response().choices().getFirst();
            line.writeStringField("completion", choice.message() == null ? null : choice.message().text());
        }
    }

    private static long outcomeMillis(Outcome outcome) {
        return switch (outcome) {
            case Outcome.Served s -> s.millis();
            case Outcome.Failed f -> f.millis();
        };
    }

    private static void writeIfPresent(JsonGenerator line, String field, Integer value) throws IOException {
        if (value != null) {
            line.writeNumberField(field, value);
        }
    }
}
