package dev.caravan.embeddings;

import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;

/**
 * Whose fault an embeddings answer over the answer size limit is. An embeddings answer's size follows from the
 * request (inputs times dimensions times the bytes of a number in the asked encoding), so an answer too large for a
 * request that may ask for that much is the caller's: it is refused as such, with no charge to the provider's breaker
 * and no failover (any target of the same model would answer as much). Else the provider answered far more than asked
 * and its answer is a bad one, as for chat. Generous to the provider: the largest answer an honest provider may give.
 */
final class AnswerSizes {

    /** The most components of a vector when the caller does not ask for fewer: the largest of common models. */
    static final int MAX_DEFAULT_DIMENSIONS = 4096;
    /** The most bytes a float component takes in a JSON answer, pretty-printed one per line ("      -0.0069...,\n"). */
    static final int MAX_FLOAT_BYTES = 32;
    /** The most bytes a component takes as base64 of a little-endian float32 (4 bytes in 5 1/3), rounded up. */
    static final int MAX_BASE64_BYTES = 6;

    private AnswerSizes() {
    }

    /** The most bytes an honest answer to {@code request} holds (the vectors alone, the part that grows). */
    static long mostExpected(EmbeddingRequest request) {
        long dimensions = request.dimensions() != null ? request.dimensions() : MAX_DEFAULT_DIMENSIONS;
        int perNumber = request.encoding() == EmbeddingRequest.Encoding.BASE64 ? MAX_BASE64_BYTES : MAX_FLOAT_BYTES;
        return request.inputs() * dimensions * perNumber;
    }

    /**
     * {@code overLimit} (an answer past {@code maxAnswerBytes}) as the caller's fault when {@code request} may ask for
     * that much, naming the limit and what to change; else as it stands.
     */
    static ProviderFailure classify(ProviderFailure overLimit, EmbeddingRequest request, int maxAnswerBytes) {
        if (mostExpected(request) <= maxAnswerBytes) {
            return overLimit;
        }
        String asked = request.inputs() + " input" + (request.inputs() == 1 ? "" : "s") + " of "
                + (request.dimensions() != null ? request.dimensions() + " dimensions" : "the model's dimensions")
                + " as " + request.encoding().name().toLowerCase(java.util.Locale.ROOT);
        return new ProviderFailure(FailureClass.CALLER_FAULT, 400, "The answer to this request (" + asked
                + ") is larger than the gateway's limit of " + maxAnswerBytes + " bytes on a provider's answer "
                + "(caravan.provider-answer.max-size). Send fewer inputs per request, ask for fewer 'dimensions', or "
                + "use encoding_format 'base64'.", null);
    }
}
