package dev.caravan.routing;

import dev.caravan.provider.SecretRedactor;
import org.apache.camel.Exchange;

/**
 * The request log's line for a request answered before the chat pipeline took it up: a body that cannot be read, a
 * missing or unknown client key, a body too large, a media or message type not taken, a failure of its ingress
 * before {@code direct:chat}, or what the HTTP server refused before any route ran. No alias, attempt or meter: only
 * its request id (the one its answer carries), ingress, named client (never its key), HTTP path, status and reason.
 *
 * <p>Told once, as a {@link RequestRecord} is: a refusal on an exchange is noted in the record's own place
 * ({@link RequestRecord#PROPERTY}) and told by the ingress's one telling step as it answers, never beside a record the
 * router made (the pipeline's record tells that request); what the server refuses with no exchange is written where
 * it answers. The reason is the one the client got, keys and key-shaped text taken out, since a client controls
 * parts of it (a model name, a field's name).
 */
public final class RefusalLog {

    /** The registry name a refusal noted on an exchange finds the log by. */
    public static final String BEAN = "refusalLog";

    private final RequestLog log;
    private final SecretRedactor redactor;

    public RefusalLog(RequestLog log, SecretRedactor redactor) {
        this.log = log;
        this.redactor = redactor;
    }

    /** Writes the line of a request answered where no exchange carries it (the HTTP server's own answers). */
    public void write(String requestId, String ingress, String client, String path, int status, String code,
            String reason) {
        log.refused(requestId, ingress, client, redactor.redact(path), status, code, redactor.redact(reason));
    }

    /**
     * Notes that the request on {@code exchange} is answered before the pipeline, with {@code status}: told when its
     * ingress answers it. Nothing is noted when the router made the request's record (that record tells it), nor when
     * a note was told already (the request has its line), nor when no log is bound. A later note replaces an earlier
     * one not told yet: the answer the client gets is the last.
     *
     * @param path the HTTP path or the dropped file's name, or null
     * @return the request id the request's line is told under, for its answer to carry: {@code requestId}, or the id
     *         of the record or the note told that keeps its place
     */
    public static String note(Exchange exchange, String ingress, String path, String requestId, int status,
            String code, String reason) {
        Object held = exchange.getProperty(RequestRecord.PROPERTY);
        if (held instanceof RequestRecord) {
            return RequestRecord.requestId(exchange);
        }
        if (held instanceof Noted noted && noted.told()) {
            return noted.requestId;
        }
        RefusalLog log = exchange.getContext().getRegistry().lookupByNameAndType(BEAN, RefusalLog.class);
        if (log != null) {
            exchange.setProperty(RequestRecord.PROPERTY, new Noted(log, requestId, ingress, path, status, code,
                    reason));
        }
        return requestId;
    }

    /** A refusal noted on an exchange, until its ingress tells it. */
    static final class Noted {

        private final RefusalLog log;
        private final String requestId;
        private final String ingress;
        private final String path;
        private final int status;
        private final String code;
        private final String reason;
        private boolean told;

        private Noted(RefusalLog log, String requestId, String ingress, String path, int status, String code,
                String reason) {
            this.log = log;
            this.requestId = requestId;
            this.ingress = ingress;
            this.path = path;
            this.status = status;
            this.code = code;
            this.reason = reason;
        }

        /** Tells it, with the client the exchange names by now (a drop's is named after it is read). */
        synchronized void tellOnce(Exchange exchange) {
            if (told) {
                return;
            }
            told = true;
            log.write(requestId, ingress, exchange.getProperty(RequestContext.CLIENT, String.class), path, status,
                    code, reason);
        }

        synchronized boolean told() {
            return told;
        }

        /** Answered elsewhere, or not at all now: never told. */
        synchronized void withdraw() {
            told = true;
        }
    }
}
