package dev.caravan.ingress;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.caravan.chat.InvalidRequest;
import dev.caravan.routing.Outcome;

/** The outcome of a request refused before routing: the caller's fault, answered without any provider call. */
final class Refusals {

    private Refusals() {
    }

    static Outcome.Failed of(InvalidRequest invalid) {
        return new Outcome.Failed("req_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()),
                Outcome.Kind.REFUSED, invalid.status(), invalid.code(), invalid.param(), invalid.getMessage(), null,
                List.of(), 0);
    }
}
