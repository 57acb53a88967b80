package dev.caravan.embeddings;

import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.ingress.protocol.ProtocolReplies;
import dev.caravan.ingress.OpenAiErrors;
import dev.caravan.ingress.OutcomeJson;
import dev.caravan.routing.Attempt;
import dev.caravan.routing.Outcome;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;

/**
 * Writes the embeddings outcome as the HTTP answer: OpenAI's embeddings list in the caller's
 * {@code encoding_format}, or OpenAI's error body with every attempt; what happened in the same
 * {@code x-caravan-*} headers as a chat answer. Every inbound header is dropped first.
 */
public final class EmbeddingReplies {

    private final ObjectMapper json;
    private final OpenAiEmbeddings openai;
    private final OutcomeJson outcomes;

    public EmbeddingReplies(ObjectMapper json, OpenAiEmbeddings openai) {
        this.json = json;
        this.openai = openai;
        this.outcomes = new OutcomeJson(json);
    }

    public void render(Exchange exchange) throws InvalidPayloadException {
        Outcome outcome = exchange.getMessage().getMandatoryBody(Outcome.class);
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setHeader(ProtocolReplies.REQUEST_ID, outcome.requestId());
        message.setHeader(ProtocolReplies.ATTEMPT_COUNT, Integer.toString(outcome.attempts().size()));
        if (!outcome.attempts().isEmpty()) {
            message.setHeader(ProtocolReplies.ATTEMPTS,
                    outcome.attempts().stream().map(Attempt::summary).collect(Collectors.joining(", ")));
        }
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        switch (outcome) {
            case Outcome.Served served -> {
                EmbeddingJob job = EmbeddingJob.on(exchange);
                message.setHeader(ProtocolReplies.PROVIDER, served.target().provider());
                message.setHeader(ProtocolReplies.MODEL, served.target().model());
                if (served.estimatedCostUsd() != null) {
                    message.setHeader(ProtocolReplies.ESTIMATED_COST, ProtocolReplies.usd(served.estimatedCostUsd()));
                }
                if (served.costUsd() != null) {
                    message.setHeader(ProtocolReplies.COST, ProtocolReplies.usd(served.costUsd()));
                }
                Embeddings answer = job.answer();
                message.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
                message.setBody(Buffer.buffer(openai.render(answer, job.request().encoding(),
                        answer.promptTokens() == null ? 0 : answer.promptTokens())));
            }
            case Outcome.Failed failed -> {
                if (failed.retryAfter() != null) {
                    message.setHeader("Retry-After", Long.toString(Math.max(1,
                            (failed.retryAfter().toMillis() + 999) / 1000)));
                }
                message.setHeader(Exchange.HTTP_RESPONSE_CODE, OpenAiErrors.status(failed));
                try {
                    message.setBody(Buffer.buffer(json.writeValueAsBytes(outcomes.body(failed))));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException("an error could not be written as JSON", e);
                }
            }
        }
    }
}
