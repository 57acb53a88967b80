package dev.caravan.ingress.protocol;

import dev.caravan.ingress.OpenAiErrors;
import dev.caravan.routing.Outcome;

/**
 * A client protocol's answer and error bodies. Each returns a value written as the JSON body (a Jackson tree or a
 * record); status and the {@code x-caravan-*} headers are set by {@link ProtocolReplies}, the same for every
 * protocol.
 */
public interface ProtocolShapes {

    /** The body of a served answer (status 200). */
    Object answer(Outcome.Served served);

    /** The status of a failed outcome: the caller's fault (4xx) or the providers' (502/503/504). */
    default int status(Outcome.Failed failed) {
        return OpenAiErrors.status(failed);
    }

    /** The body of a failed outcome, with its status {@link #status}. */
    Object failure(Outcome.Failed failed);

    /**
     * An error body for a request refused before the pipeline (a bad body, a missing key), a failure inside the
     * gateway (status 500), or a path nobody serves.
     *
     * @param code  a machine-readable reason, or null
     * @param param the offending request field, or null
     */
    Object error(int status, String code, String message, String param);
}
