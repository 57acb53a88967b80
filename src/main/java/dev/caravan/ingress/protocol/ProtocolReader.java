package dev.caravan.ingress.protocol;

import dev.caravan.chat.BodyFields;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.chat.RequestOptions;

/** Reads one HTTP request of a client protocol into the canonical request. A pure function of what was received. */
@FunctionalInterface
public interface ProtocolReader {

    /**
     * The canonical request and the caller's routing options.
     *
     * @throws InvalidRequest naming the problem, for a request that cannot be served as sent (answered in the
     *                        protocol's error shape by {@link ProtocolShapes#error})
     */
    Reading read(Inbound inbound);

    /**
     * What a request asks for.
     *
     * @param request the canonical request, {@code stream} set when the client asked for a stream
     * @param options the caller's routing options (see {@link Inbound#caravanHeaders()})
     * @param fields  where the body's top-level fields are, noted as it was parsed, or null: a request passed through
     *                as it came is spliced with them instead of being scanned again
     */
    record Reading(ChatRequest request, RequestOptions options, BodyFields fields) {

        public Reading(ChatRequest request, RequestOptions options) {
            this(request, options, null);
        }
    }
}
