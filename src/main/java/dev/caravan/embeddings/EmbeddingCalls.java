package dev.caravan.embeddings;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.health.RateLimits;
import dev.caravan.provider.AttemptPlan;
import dev.caravan.provider.Dialect;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderAnswer;
import dev.caravan.provider.ProviderAttempt;
import dev.caravan.provider.ProviderCall;
import dev.caravan.provider.ProviderCalls;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderFailure;
import dev.caravan.provider.ProviderReply;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.RateLimitHeaders;
import dev.caravan.provider.SecretRedactor;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Headers;

/**
 * The steps of an embeddings provider route around the HTTP call, as {@code ProviderCalls} is for chat: build the
 * {@link ProviderCall} for the attempt the router planned, and turn the answer into a {@link ProviderReply} (the
 * vectors go to the {@link EmbeddingJob}) or a classified {@link ProviderFailure}. The HTTP call is the chat's own
 * ({@code ProviderHttp}), as are the provider's auth headers and its error classification (its dialect's).
 */
public final class EmbeddingCalls {

    private final ProviderCatalog catalog;
    private final SecretRedactor redactor;
    private final RateLimits rateLimits;
    private final Clock clock;
    private final int maxAnswerBytes;
    private final OpenAiEmbeddings openai;
    private final GeminiEmbeddings gemini;

    public EmbeddingCalls(ProviderCatalog catalog, SecretRedactor redactor, RateLimits rateLimits, Clock clock,
            int maxAnswerBytes, OpenAiEmbeddings openai, GeminiEmbeddings gemini) {
        this.catalog = catalog;
        this.redactor = redactor;
        this.rateLimits = rateLimits;
        this.clock = clock;
        this.maxAnswerBytes = maxAnswerBytes;
        this.openai = openai;
        this.gemini = gemini;
    }

    /** The provider's embeddings request for the planned attempt, cut loose if its caller hangs up. */
    public ProviderCall prepare(@ExchangeProperty(ProviderAttempt.PROPERTY) ProviderAttempt attempt,
            @ExchangeProperty(EmbeddingJob.PROPERTY) EmbeddingJob job, @Headers Map<String, Object> message) {
        AttemptPlan plan = attempt.plan();
        ProviderSettings provider = catalog.provider(plan.target().provider());
        Dialect dialect = catalog.dialect(provider.id());
        String model = plan.target().model();
        message.clear(); // nothing of the caller's request lingers past the call
        Map<String, String> headers = new LinkedHashMap<>(dialect.headers(provider.keys().get(plan.keyIndex())));
        headers.put("Accept", "application/json");
        String path;
        byte[] body;
        if (provider.dialect().equals("gemini")) {
            GeminiEmbeddings.Call call = gemini.request(job.request(), model);
            path = call.path();
            body = call.body();
        } else {
            path = "/embeddings" + apiVersion(provider);
            body = openai.request(job.request(), model);
        }
        if (attempt.caller() != null) {
            attempt.caller().onGone(attempt.handle()::abandon); // nobody is left to read the answer
        }
        return new ProviderCall(attempt, provider.url(path), headers, body, plan.timeout());
    }

    /** Reads the provider's answer into the job; throws the classified failure when it is not a whole success. */
    public ProviderReply interpret(ProviderAnswer answer, Exchange exchange) {
        ProviderCall call = answer.call();
        AttemptPlan plan = call.plan();
        Dialect dialect = catalog.dialect(plan.target().provider());
        int status = answer.status();
        rateLimits.report(plan.target().provider(), plan.keyIndex(),
                RateLimitHeaders.readNamed(answer::header, clock));
        call.handle().finish();
        EmbeddingJob job = EmbeddingJob.on(exchange);
        EmbeddingRequest request = job.request();
        byte[] body;
        try {
            body = ProviderCalls.bodyBytes(answer, maxAnswerBytes);
        } catch (ProviderFailure failure) {
            // past the limit: a success that is too large for the gateway, not a provider answering wrong, when the
            // caller asked for that much
            throw status >= 200 && status < 300 && failure.failureClass() == FailureClass.BAD_RESPONSE
                    ? AnswerSizes.classify(failure, request, maxAnswerBytes) : failure;
        }
        if (status < 200 || status >= 300) {
            throw redactor.redact(dialect.classify(status, body, answer.lowerCaseHeaders()));
        }
        String model = plan.target().model();
        Embeddings embeddings = dialect.name().equals("gemini") ? gemini.answer(body, request.inputs(), model)
                : openai.answer(body, request.inputs());
        int size = embeddings.vectors().getFirst().length;
        if (request.dimensions() != null && size != request.dimensions()) {
            // a server that ignores 'dimensions' answers full vectors, which the caller's index cannot take
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, status, "the provider answered vectors of " + size
                    + " components for 'dimensions' " + request.dimensions(), null);
        }
        String served = redactor.scrub(embeddings.model() != null ? embeddings.model() : model);
        Integer tokens = embeddings.promptTokens() != null ? embeddings.promptTokens()
                : job.estimatedTokens().get(plan.target());
        job.answered(new Embeddings(embeddings.vectors(), tokens, served)).putOn(exchange);
        // what the router, the request log and the meters read of an answer: its model and usage
        ChatResponse summary = new ChatResponse(null, "list", null, served, null,
                new Usage(tokens, 0, tokens, null), null, null);
        return new ProviderReply(summary, status, 0);
    }

    /** Azure OpenAI's {@code api-version} query, as the provider's chat calls carry it. */
    private static String apiVersion(ProviderSettings provider) {
        return provider.options() instanceof dev.caravan.provider.DialectOptions.OpenAi openai
                && openai.apiVersion() != null ? "?api-version=" + java.net.URLEncoder.encode(openai.apiVersion(),
                java.nio.charset.StandardCharsets.UTF_8) : "";
    }
}
