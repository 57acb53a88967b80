package dev.caravan.embeddings;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.cost.CostEstimate;
import dev.caravan.cost.PriceTable;
import dev.caravan.cost.TokenEstimator;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.Target;
import dev.caravan.routing.FailoverRouter;
import dev.caravan.routing.RequestContext;
import dev.caravan.ingress.HttpCaller;
import dev.caravan.ingress.protocol.Inbound;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The embeddings ingress's steps before the routing: read the HTTP request into an {@link EmbeddingJob}, then plan
 * it on the embeddings' {@link FailoverRouter} with what it is expected to cost on each target of its alias.
 */
public final class EmbeddingRequests {

    private final EmbeddingRequestReader reader;
    private final ProviderCatalog catalog;
    private final FailoverRouter router;
    private final TokenEstimator tokens;
    private final PriceTable prices;
    private final ObjectMapper json;
    private final InputLimits limits;

    /**
     * @param catalog the providers, with the embedding aliases as aliases ({@link ProviderCatalog#embeddings()})
     * @param limits  the most tokens each upstream model takes in one input and in one request
     */
    public EmbeddingRequests(EmbeddingRequestReader reader, ProviderCatalog catalog, FailoverRouter router,
            TokenEstimator tokens, PriceTable prices, ObjectMapper json, InputLimits limits) {
        this.limits = limits;
        this.reader = reader;
        this.catalog = catalog;
        this.router = router;
        this.tokens = tokens;
        this.prices = prices;
        this.json = json;
    }

    /** Reads the request: a JSON body, announced as such, with the caller's routing options. */
    public void read(Exchange exchange) {
        Message message = exchange.getMessage();
        Inbound inbound = Inbound.ofJson(message);
        EmbeddingRequestReader.Read read = reader.read(inbound.body(), inbound.caravanHeaders());
        EmbeddingRequest request = read.request();
        if (request.tokenInput()) {
            Optional<Target> gemini = catalog.targets(request.alias()).stream()
                    .filter(t -> catalog.provider(t.provider()).dialect().equals("gemini")).findFirst();
            if (gemini.isPresent()) {
                throw InvalidRequest.badRequest("input", "'input' is token arrays, but '" + request.alias()
                        + "' may be served by " + gemini.get() + ", a Gemini target, which embeds text only; send "
                        + "the input as text.");
            }
        }
        refuseBeyondLimits(request);
        RequestContext context = RequestContext.enter("embeddings", read.options());
        if (message instanceof HttpMessage http) {
            context = context.withCaller(new HttpCaller(http.getResponse()));
        }
        context.putOn(exchange);
        new EmbeddingJob(request, Map.of(), null).putOn(exchange);
        message.setBody(null);
    }

    /** Starts routing the job: its alias, and its size and cost on each target. */
    public void plan(Exchange exchange) {
        EmbeddingJob job = EmbeddingJob.on(exchange);
        EmbeddingRequest request = job.request();
        Map<Target, Integer> sizes = new LinkedHashMap<>();
        Map<Target, CostEstimate> estimates = new HashMap<>();
        Map<String, TokenEstimator.Estimate> byModel = new HashMap<>();
        for (Target target : catalog.targets(request.alias())) {
            String dialect = catalog.provider(target.provider()).dialect();
            int size;
            boolean approximate;
            if (request.tokenInput()) {
                size = request.inputTokens();
                approximate = false;
            } else {
                TokenEstimator.Estimate estimate = byModel.computeIfAbsent(dialect + '\n' + target.model(),
                        k -> textTokens(request, dialect, target.model()));
                size = estimate.promptTokens();
                approximate = estimate.approximate();
            }
            sizes.put(target, size);
            Double usd = prices.price(target.provider(), target.model(), size).map(p -> p.usd(size, 0, 0))
                    .orElse(null);
            estimates.put(target, new CostEstimate(size, 0, usd, approximate));
        }
        job.withEstimates(sizes).putOn(exchange);
        router.planAlias(exchange, request.alias(), estimates);
    }

    /**
     * Refuses a request that no target of its alias can take (an input, or all of them together, over the model's
     * limits), naming each target's limit: before any provider is called. Only exact counts refuse: a target whose
     * count would be an estimate (a model whose tokenizer is not published, or texts past the estimator's exact
     * characters) is left to its provider, since an estimate errs high and could refuse what the provider takes.
     */
    private void refuseBeyondLimits(EmbeddingRequest request) {
        java.util.List<String> refusals = new java.util.ArrayList<>();
        // one count per model counted alike, whichever of its targets asks
        Map<Object, TokenEstimator.InputCount> counted = new HashMap<>();
        for (Target target : catalog.targets(request.alias())) {
            String refusal = refusal(request, target, counted);
            if (refusal == null) {
                return;
            }
            refusals.add(refusal);
        }
        if (!refusals.isEmpty()) {
            throw InvalidRequest.badRequest("input", "The input is more than any target of '" + request.alias()
                    + "' takes: " + String.join("; ", refusals) + ". Send shorter inputs, or fewer in one request.");
        }
    }

    /** Why {@code target} cannot take the request, as its exact counts show; null when none shows it. */
    private String refusal(EmbeddingRequest request, Target target, Map<Object, TokenEstimator.InputCount> counted) {
        long perInput = limits.perInput(target);
        long perRequest = limits.perRequest(target);
        if (perInput <= 0 && perRequest <= 0) {
            return null;
        }
        if (request.tokenInput()) {
            Longest longest = longestTokens(request);
            return limits.refusal(target, longest.tokens(), longest.at(), request.inputTokens(), false);
        }
        java.util.List<String> texts = request.texts();
        long longestChars = 0;
        long chars = 0;
        for (String text : texts) {
            longestChars = Math.max(longestChars, text.length());
            chars += text.length();
        }
        // a token is at least one byte of UTF-8 and a character at most three: texts this short cannot pass the limits
        if ((perInput <= 0 || 3L * longestChars <= perInput) && (perRequest <= 0 || 3L * chars <= perRequest)) {
            return null;
        }
        String dialect = catalog.provider(target.provider()).dialect();
        TokenEstimator.InputCount count = tokens.countInputs(texts, dialect, target.model(), counted);
        String at = request.single() ? "'input'" : "'input[" + count.longestAt() + "]'";
        return limits.refusal(target, count.longest(), at, count.exactTotal(), !count.allExact());
    }

    /** The input with the most tokens, and where it is. */
    private record Longest(long tokens, String at) {
    }

    /** The longest of token arrays: each token is one, so its length. */
    private static Longest longestTokens(EmbeddingRequest request) {
        com.fasterxml.jackson.databind.JsonNode input = request.body().path("input");
        if (!input.path(0).isArray()) {
            return new Longest(input.size(), "'input'");
        }
        Longest longest = new Longest(0, "");
        for (int i = 0; i < input.size(); i++) {
            if (input.get(i).size() > longest.tokens()) {
                longest = new Longest(input.get(i).size(), "'input[" + i + "]'");
            }
        }
        return longest;
    }

    /**
     * The tokens of the texts alone, as {@code model}'s tokenizer (or the closest) counts them: the estimator counts
     * chat turns, so the texts are counted as one turn each, less what as many empty turns count (their framing).
     */
    private TokenEstimator.Estimate textTokens(EmbeddingRequest request, String dialect, String model) {
        TokenEstimator.Estimate turns = tokens.estimate(asChat(request.texts()), dialect, model);
        TokenEstimator.Estimate framing = tokens.estimate(asChat(java.util.Collections.nCopies(request.inputs(), "")),
                dialect, model);
        return new TokenEstimator.Estimate(Math.max(request.inputs(), turns.promptTokens() - framing.promptTokens()),
                turns.encoding(), turns.approximate());
    }

    private ChatRequest asChat(java.util.List<String> texts) {
        ObjectNode chat = json.createObjectNode().put("model", "embedding");
        ArrayNode messages = chat.putArray("messages");
        for (String text : texts) {
            messages.addObject().put("role", "user").put("content", text);
        }
        return json.convertValue(chat, ChatRequest.class);
    }
}
