package dev.caravan.passthrough;

import dev.caravan.chat.ChatResponse;

/**
 * A passed-through answer read whole, as the client gets it, beside the summary the pipeline served the request
 * with. The HTTP ingress writes {@code body} instead of rendering the summary when the outcome served is this one.
 *
 * @param summary the response the outcome carries (compared by identity: an earlier attempt's answer never counts)
 * @param body    the provider's answer, keys removed
 */
public record PassedAnswer(ChatResponse summary, byte[] body) {

    /** The exchange property holding the answer. */
    public static final String PROPERTY = "caravan.passed-answer";
}
