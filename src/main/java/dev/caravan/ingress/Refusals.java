package dev.caravan.ingress;

import java.util.List;

import dev.caravan.chat.InvalidRequest;
import dev.caravan.routing.Outcome;
import dev.caravan.routing.RefusalLog;
import dev.caravan.routing.RequestRecord;
import org.apache.camel.Exchange;

/** The outcome of a request refused before routing: the caller's fault, answered without any provider call. */
final class Refusals {

    private Refusals() {
    }

    /**
     * The refusal of the request on {@code exchange}, noted for its ingress to tell in the request log when it answers
     * (a reply, a dead letter, an error file, direct:caravan's variables).
     */
    static Outcome.Failed of(Exchange exchange, String ingress, InvalidRequest invalid) {
        return of(exchange, ingress, null, invalid);
    }

    /** @param where the dropped file's name, or null */
    static Outcome.Failed of(Exchange exchange, String ingress, String where, InvalidRequest invalid) {
        Outcome.Failed refusal = of(invalid);
        RefusalLog.note(exchange, ingress, where, refusal.requestId(), OpenAiErrors.status(refusal), refusal.code(),
                refusal.message());
        return refusal;
    }

    static Outcome.Failed of(InvalidRequest invalid) {
        return new Outcome.Failed(RequestRecord.newId(),
                Outcome.Kind.REFUSED, invalid.status(), invalid.code(), invalid.param(), invalid.getMessage(), null,
                List.of(), 0);
    }
}
