package dev.caravan.embeddings;

import java.util.Map;

import dev.caravan.provider.Target;
import org.apache.camel.Exchange;

/**
 * An embeddings request on its way through the pipeline, under the one exchange property {@link #PROPERTY}: set by
 * the ingress, read by every attempt's provider route, and given the answer by the attempt that served. A property,
 * replaced rather than changed, for the reasons {@code RequestContext} gives: the dynamic router and the breaker
 * run on copies of the exchange and carry back its properties.
 *
 * @param estimatedTokens the input's size in tokens as each target would count it, for the answer's usage when the
 *                        provider reports none
 * @param answer          the vectors, once a target served them; else null
 */
public record EmbeddingJob(EmbeddingRequest request, Map<Target, Integer> estimatedTokens, Embeddings answer) {

    /** The exchange property holding the job. */
    public static final String PROPERTY = "caravan.embedding";

    public static EmbeddingJob on(Exchange exchange) {
        EmbeddingJob job = exchange.getProperty(PROPERTY, EmbeddingJob.class);
        if (job == null) {
            throw new IllegalStateException("no embeddings request on this exchange");
        }
        return job;
    }

    public EmbeddingJob putOn(Exchange exchange) {
        exchange.setProperty(PROPERTY, this);
        return this;
    }

    public EmbeddingJob withEstimates(Map<Target, Integer> estimated) {
        return new EmbeddingJob(request, Map.copyOf(estimated), answer);
    }

    public EmbeddingJob answered(Embeddings embeddings) {
        return new EmbeddingJob(request, estimatedTokens, embeddings);
    }
}
