package dev.caravan.routing;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.provider.FailureClass;
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
    // the line's field names, encoded once: a name given as a String is encoded again on every line
    private static final SerializedString REQUEST_ID = new SerializedString("request_id");
    private static final SerializedString INGRESS = new SerializedString("ingress");
    private static final SerializedString CLIENT = new SerializedString("client");
    private static final SerializedString ALIAS = new SerializedString("alias");
    private static final SerializedString POLICY = new SerializedString("policy");
    private static final SerializedString STREAM = new SerializedString("stream");
    private static final SerializedString ATTEMPTS = new SerializedString("attempts");
    private static final SerializedString PROVIDER = new SerializedString("provider");
    private static final SerializedString MODEL = new SerializedString("model");
    private static final SerializedString OUTCOME = new SerializedString("outcome");
    private static final SerializedString STATUS = new SerializedString("status");
    private static final SerializedString MS = new SerializedString("ms");
    private static final SerializedString REASON = new SerializedString("reason");
    private static final SerializedString RESUMED = new SerializedString("resumed");
    private static final SerializedString SERVED_BY = new SerializedString("served_by");
    private static final SerializedString TOKENS_IN = new SerializedString("tokens_in");
    private static final SerializedString TOKENS_OUT = new SerializedString("tokens_out");
    private static final SerializedString CODE = new SerializedString("code");
    private static final SerializedString LATENCY_MS = new SerializedString("latency_ms");
    private static final SerializedString COST_USD = new SerializedString("cost_usd");
    // the values every line repeats, encoded once as well
    private static final SerializedString OK = new SerializedString("ok");
    private static final SerializedString SERVED = new SerializedString("served");
    private static final SerializedString[] FAILURES = failures();

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

    /**
     * The line of a request answered before the chat pipeline took it up ({@link RefusalLog}): no alias, policy or
     * attempt, only what the client was told.
     *
     * @param client the named client whose key it carried, or null
     * @param path   the HTTP path it was sent to, or the dropped file's name; null for the queue
     * @param code   the machine-readable reason, or null when the reason alone names it
     */
    public void refused(String requestId, String ingress, String client, String path, int status, String code,
            String reason) {
        if (!REQUESTS.isInfoEnabled()) {
            return;
        }
        RequestLogWriter.Body body = line -> {
            line.writeStartObject();
            line.writeFieldName(REQUEST_ID);
            line.writeString(requestId);
            line.writeFieldName(INGRESS);
            line.writeString(ingress);
            if (client != null) {
                line.writeFieldName(CLIENT);
                line.writeString(client);
            }
            if (path != null) {
                line.writeStringField("file".equals(ingress) ? "file" : "path", path);
            }
            line.writeFieldName(OUTCOME);
            // refused: the request as sent could not be taken; failed: the gateway failed on it before the pipeline
            line.writeString(status >= 500 && status != 503 ? "failed" : "refused");
            line.writeFieldName(STATUS);
            line.writeNumber(status);
            if (code != null) {
                line.writeFieldName(CODE);
                line.writeString(code);
            }
            line.writeFieldName(REASON);
            line.writeString(reason);
            line.writeEndObject();
        };
        emit(requestId, body);
    }

    /** Writes a line through the writer, or through Log4j. */
    private void emit(String requestId, RequestLogWriter.Body body) {
        if (writer != null) {
            try {
                writer.append(body);
            } catch (IOException e) {
                REQUESTS.warn("request {} could not be logged as JSON: {}", requestId, e.toString());
            }
            return;
        }
        BufferRecycler buffers = json.getFactory()._getBufferRecycler();
        String written;
        try (SegmentedStringWriter text = new SegmentedStringWriter(buffers)) {
            try (JsonGenerator line = json.getFactory().createGenerator(text)) {
                body.writeTo(line);
            }
            written = text.getAndClear();
        } catch (IOException e) {
            REQUESTS.warn("request {} could not be logged as JSON", requestId);
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
        line.writeFieldName(REQUEST_ID);
        line.writeString(state.requestId());
        line.writeFieldName(INGRESS);
        line.writeString(ingress);
        if (client != null) {
            line.writeFieldName(CLIENT);
            line.writeString(client);
        }
        line.writeFieldName(ALIAS);
        line.writeString(state.alias());
        line.writeFieldName(POLICY);
        line.writeString(state.policy().label());
        line.writeFieldName(STREAM);
        line.writeBoolean(stream);
        line.writeFieldName(ATTEMPTS);
        line.writeStartArray();
        for (Attempt a : state.attempts()) {
            line.writeStartObject();
            line.writeFieldName(PROVIDER);
            line.writeString(a.target().provider());
            line.writeFieldName(MODEL);
            line.writeString(a.target().model());
            line.writeFieldName(OUTCOME);
            line.writeString(a.failure() == null ? OK : FAILURES[a.failure().ordinal()]);
            if (a.status() > 0) {
                line.writeFieldName(STATUS);
                line.writeNumber(a.status());
            }
            line.writeFieldName(MS);
            line.writeNumber(a.millis());
            if (a.message() != null) {
                line.writeFieldName(REASON);
                line.writeString(a.message());
            }
            line.writeEndObject();
        }
        line.writeEndArray();
        if (!resumed.isEmpty()) {
            line.writeFieldName(RESUMED);
            line.writeStartArray();
            for (String seam : resumed) {
                line.writeString(seam);
            }
            line.writeEndArray();
        }
        switch (outcome) {
            case Outcome.Served served -> {
                line.writeFieldName(OUTCOME);
                line.writeString(SERVED);
                line.writeFieldName(SERVED_BY);
                line.writeString(served.target().toString());
                Usage usage = served.response() == null ? null : served.response().usage();
                if (usage != null) {
                    writeIfPresent(line, TOKENS_IN, usage.promptTokens());
                    writeIfPresent(line, TOKENS_OUT, usage.completionTokens());
                }
            }
            case Outcome.Failed failed -> {
                line.writeFieldName(OUTCOME);
                line.writeString(failed.abandoned() ? "abandoned" : "failed");
                line.writeFieldName(STATUS);
                line.writeNumber(status);
                line.writeFieldName(CODE);
                line.writeString(failed.code());
            }
        }
        line.writeFieldName(LATENCY_MS);
        line.writeNumber(outcome.millis());
        if (costUsd != null) {
            line.writeFieldName(COST_USD);
            line.writeNumber(costUsd);
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

    private static SerializedString[] failures() {
        FailureClass[] classes = FailureClass.values();
        SerializedString[] labels = new SerializedString[classes.length];
        for (FailureClass c : classes) {
            labels[c.ordinal()] = new SerializedString(c.label());
        }
        return labels;
    }

    private static void writeIfPresent(JsonGenerator line, SerializedString field, Integer value)
            throws IOException {
        if (value != null) {
            line.writeFieldName(field);
            line.writeNumber(value);
        }
    }
}
