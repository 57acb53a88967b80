package dev.caravan.ingress;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.ingress.protocol.ProtocolShapes;
import dev.caravan.provider.RedactedFailure;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.routing.RefusalLog;
import dev.caravan.routing.RequestRecord;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answers an HTTP server gives before any route of ours runs (no route for the path, a method the path does not
 * take, a body over the server's limit, a failure inside the server), as JSON errors in the shape of the protocol the
 * path belongs to ({@link #answerUnder}; OpenAI's by default) instead of Vert.x's HTML pages, on the API port and the management port alike. A request whose body was not read to its
 * end is answered with {@code Connection: close} and its connection closed: what is left of the body is dropped
 * unread, for at most two seconds, so that the client reads the answer rather than a reset.
 */
public final class JsonErrorPages {

    static final String REQUEST_TIMEOUT_BODY = "{\"error\":{\"message\":\"The request was not received in time: "
            + "its body arrived too slowly.\",\"type\":\"invalid_request_error\",\"param\":null,"
            + "\"code\":\"request_timeout\"}}";
    private static final Logger LOG = LoggerFactory.getLogger(JsonErrorPages.class);
    private static final int SHOWN_PATH = 200;
    private static final String REQUEST_ID = "x-caravan-request-id";

    private final ObjectMapper json;
    private final CamelContext camel;
    private final long maxBodyBytes;
    private final SecretRedactor redactor;
    private final ProtocolShapes openAi;
    /** Where the refusals of the API port are logged, or null. */
    private volatile RefusalLog refusals;
    /** The management port, whose refusals are not the API's requests and have no line. */
    private volatile int managementPort = -1;
    /** Path prefixes and the protocol whose error shape answers under them; the longest matching prefix wins. */
    private final Map<String, ProtocolShapes> byPrefix = new ConcurrentHashMap<>();

    /**
     * @param maxBodyBytes the server's own body limit, named in its 413 answer
     * @param redactor     what a failure's messages lose before they are logged: a key may be in any of them
     */
    public JsonErrorPages(ObjectMapper json, CamelContext camel, long maxBodyBytes, SecretRedactor redactor) {
        this.json = json;
        this.camel = camel;
        this.maxBodyBytes = maxBodyBytes;
        this.redactor = redactor;
        this.openAi = new ChatCompletions.Shapes(json);
    }

    /**
     * Answers the errors of paths under {@code prefix} in {@code shapes}' protocol ({@code /v1/messages} in
     * Anthropic's error shape, ...); every other path is answered in OpenAI's.
     */
    public JsonErrorPages answerUnder(String prefix, ProtocolShapes shapes) {
        byPrefix.put(prefix, shapes);
        return this;
    }

    /**
     * Writes a request log line for each request the API's server refuses before any route of ours takes it (a path
     * or method it does not serve, a body over its limit or too slow, a request it cannot read as HTTP, a body that
     * does not fit the memory left for bodies, the gateway not serving yet), under the request id its answer carries;
     * not for the management port's.
     */
    public JsonErrorPages loggingRefusals(RefusalLog log, int managementPort) {
        this.managementPort = managementPort;
        this.refusals = log;
        return this;
    }

    /**
     * Logs the refusal of {@code request}, when it came to the API port, and puts the id it is logged under on its
     * answer (which must not have begun).
     */
    void refused(HttpServerRequest request, int status, String code, String message) {
        RefusalLog log = refusals;
        if (log == null || request.localAddress() != null && request.localAddress().port() == managementPort) {
            return;
        }
        String requestId = RequestRecord.newId();
        try {
            request.response().putHeader(REQUEST_ID, requestId);
        } catch (IllegalStateException written) {
            // the head is out: the line still names the request
        }
        log.write(requestId, "http", null, shown(request.path()), status, code, message);
    }

    /** The protocol whose error shape answers for {@code path}. */
    ProtocolShapes shapesFor(String path) {
        String p = path == null ? "" : path;
        ProtocolShapes found = openAi;
        int longest = -1;
        for (Map.Entry<String, ProtocolShapes> entry : byPrefix.entrySet()) {
            if (p.startsWith(entry.getKey()) && entry.getKey().length() > longest) {
                longest = entry.getKey().length();
                found = entry.getValue();
            }
        }
        return found;
    }

    /** Answers every 4xx and 5xx {@code router} would otherwise answer itself. */
    void install(Router router) {
        for (int status = 400; status < 600; status++) {
            router.errorHandler(status, this::answer);
        }
        // a body whose client hung up in the middle of it is failed by the body reader with status 200: nobody is
        // left to answer, and without a handler vertx-web would log an ERROR with its stack trace, once for every
        // connection any client chooses to open and drop
        router.errorHandler(200, ctx -> {
            if (!(ctx.failure() instanceof HttpClosedException)) {
                answer(ctx);
            }
        });
    }

    private void answer(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        int status = ctx.statusCode() < 400 ? 500 : ctx.statusCode();
        String method = request.method().name();
        String path = shown(request.path());
        if (status >= 500) {
            logFailure(request, status, ctx.failure());
        }
        if (response.headWritten()) {
            request.connection().close(); // an answer already under way cannot become an error answer
            return;
        }
        String message;
        String code;
        switch (status) {
            case 404 -> {
                if (camel.isStarted()) {
                    message = "Unknown request URL: " + method + " " + path + ". Paths here: "
                            + paths(request, null) + ".";
                    code = "unknown_url";
                } else {
                    // the server listens before the routes are added and after they are removed: the path is not
                    // unknown, the gateway is not serving yet (or any more), which a client or balancer retries
                    boolean stopping = switch (camel.getStatus()) {
                        case Stopping, Stopped, Suspending, Suspended -> true;
                        case Initializing, Initialized, Starting, Started -> false;
                    };
                    status = 503;
                    message = stopping ? "The gateway is stopping; retry on another instance."
                            : "The gateway is starting; retry shortly.";
                    code = stopping ? "stopping" : "starting";
                    response.putHeader("Retry-After", "1");
                    if (stopping) {
                        response.putHeader("Connection", "close"); // the next request goes to another instance
                    }
                }
            }
            case 405 -> {
                String allowed = paths(request, request.path());
                response.putHeader("Allow", allowed);
                message = "Method " + method + " is not allowed on " + path + "; use " + allowed + ".";
                code = "method_not_allowed";
            }
            case 413 -> {
                message = "The request body is larger than this server accepts; the limit is " + maxBodyBytes
                        + " bytes (caravan.http.max-body-size).";
                code = "request_too_large";
            }
            case 408 -> {
                message = "The request was not received in time.";
                code = "request_timeout";
            }
            default -> {
                if (status >= 500) {
                    message = "The server failed to process the request.";
                    code = "internal_error";
                } else {
                    message = "The request could not be read as HTTP (" + status + ").";
                    code = "bad_request";
                }
            }
        }
        if (status < 500 || status == 503) {
            // refused before any route took it; a 500 here is a failure after a route answered, which told it
            refused(request, status, code, message);
        }
        boolean close = !request.isEnded();
        if (close) {
            response.putHeader("Connection", "close");
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json");
        response.end(body(shapesFor(request.path()).error(status, code, message, null)))
                .onComplete(done -> {
                    if (close) {
                        lingerThenClose(ctx.vertx(), request);
                    }
                });
    }

    /** Logs a failure the server answers with {@code status}, redacted. */
    void logFailure(HttpServerRequest request, int status, Throwable failure) {
        // a failure's message may hold anything, a provider's or a client's key among it
        LOG.warn("the HTTP server failed on {} {} with {}", request.method().name(), shown(request.path()), status,
                RedactedFailure.of(failure, redactor));
    }

    /** The body of a 500 answer to a request for {@code path}: nothing of the failure said. */
    Buffer internalError(String path) {
        return body(shapesFor(path).error(500, "internal_error", "The server failed to process the request.", null));
    }

    /**
     * Answers a request the server could not read as HTTP (a request line or a head over the limits, a malformed
     * head) in JSON naming the limit, where Vert.x would answer an empty 414 or 431 or close without a word; the
     * connection is closed after the answer, as what follows on it cannot be taken for a next request.
     */
    void invalid(HttpServerRequest request, HttpLimits limits) {
        Throwable cause = request.decoderResult().cause();
        String problem = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
        int status;
        String code;
        String message;
        if (cause instanceof TooLongFrameException && problem.startsWith("An HTTP line is larger than")) {
            status = 414;
            code = "request_line_too_long";
            message = "The request line (method, path and query) is longer than this server accepts; the limit is "
                    + limits.maxInitialLineLength() + " bytes (caravan.http.max-initial-line-length).";
        } else if (cause instanceof TooLongFrameException && problem.startsWith("HTTP header is larger than")) {
            status = 431;
            code = "headers_too_large";
            message = "The request's headers are larger than this server accepts; the limit is "
                    + limits.maxHeaderSize() + " bytes (caravan.http.max-header-size).";
        } else {
            status = 400;
            code = "bad_request";
            message = "The request could not be read as HTTP.";
        }
        var connection = request.connection();
        try {
            refused(request, status, code, message);
            request.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .putHeader("Connection", "close")
                    .end(body(shapesFor(request.path()).error(status, code, message, null)))
                    .onComplete(done -> connection.close());
        } catch (IllegalStateException gone) {
            connection.close();
        }
    }

    /**
     * Refuses {@code request} before its body is read, or as it arrives, its body not fitting the memory left for
     * request bodies in flight ({@link BodyBudget}): 503 with {@code Retry-After}, in the error shape of the path's
     * protocol; the rest of the body is read and dropped.
     */
    void busy(HttpServerRequest request, Vertx vertx, long budget) {
        String message = "The gateway holds as many request bodies as it may at once (" + budget
                + " bytes, caravan.http.max-inflight-body-bytes); retry shortly.";
        refused(request, 503, "server_busy", message);
        HttpServerResponse response = request.response();
        response.setStatusCode(503).putHeader("Content-Type", "application/json").putHeader("Retry-After", "1")
                .putHeader("Connection", "close");
        response.end(body(shapesFor(request.path()).error(503, "server_busy", message, null)))
                .onComplete(done -> lingerThenClose(vertx, request));
    }

    /** How long the rest of a refused body is read and dropped before its connection is closed. */
    private static final long LINGER_MILLIS = 2000;

    /**
     * Closes the connection of a request whose body was refused, after reading and dropping what the client still
     * sends for at most {@value #LINGER_MILLIS} ms: closed at once, a client still writing its body gets a reset
     * that can wipe out the answer it has not read yet (as nginx's lingering close avoids). The time is bounded, so
     * a client cannot hold the connection by sending forever.
     */
    private static void lingerThenClose(Vertx vertx, HttpServerRequest request) {
        var connection = request.connection();
        try {
            request.handler(dropped -> {
            });
            request.endHandler(end -> connection.close());
            request.resume();
        } catch (IllegalStateException alreadyRead) {
            connection.close();
            return;
        }
        vertx.setTimer(LINGER_MILLIS, id -> connection.close());
    }

    /**
     * With {@code path} null, the exact paths the port serves; else the methods {@code path} takes, in
     * {@code Allow} form.
     */
    private String paths(HttpServerRequest request, String path) {
        int port = request.localAddress() == null ? -1 : request.localAddress().port();
        VertxPlatformHttpRouter routes = camel.getRegistry().lookupByNameAndType(
                VertxPlatformHttpRouter.getRouterNameFromPort(port), VertxPlatformHttpRouter.class);
        Set<String> found = new TreeSet<>();
        // the router takes a path with one slash more at its end as the path itself
        String trimmed = path != null && path.length() > 1 && path.endsWith("/")
                ? path.substring(0, path.length() - 1) : path;
        if (routes != null) {
            for (Route route : routes.getRoutes()) {
                String routePath = route.getPath();
                if (routePath == null || route.methods() == null || route.methods().isEmpty()) {
                    continue; // a route for every method is a catch-all of its own (e.g. the console's 404 here)
                }
                // a path with parameters (/v1beta/models/{call}) is a regex path to the router; any other is not ours
                boolean template = route.isRegexPath();
                if (template && routePath.indexOf(':') < 0) {
                    continue;
                }
                if (path == null) {
                    found.add(template ? routePath.replaceAll(":([^/]+)", "{$1}") : routePath);
                } else if (template ? fits(routePath, trimmed) : route.isExactPath()
                        ? routePath.equals(path) || routePath.equals(trimmed) : path.startsWith(routePath)) {
                    route.methods().stream().map(HttpMethod::name).forEach(found::add);
                }
            }
        }
        return String.join(", ", found);
    }

    /** Whether {@code path} fits {@code template}, each of whose {@code :name} segments stands for one segment. */
    private static boolean fits(String template, String path) {
        String[] wanted = template.split("/", -1);
        String[] given = path.split("/", -1);
        if (wanted.length != given.length) {
            return false;
        }
        for (int i = 0; i < wanted.length; i++) {
            boolean any = wanted[i].startsWith(":") && !given[i].isEmpty();
            if (!any && !wanted[i].equals(given[i])) {
                return false;
            }
        }
        return true;
    }

    private Buffer body(Object error) {
        try {
            return Buffer.buffer(json.writeValueAsBytes(error));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an error body could not be written as JSON", e);
        }
    }

    /** A client's path as shown in an error or a log line: bounded, and printable ASCII only. */
    public static String shown(String path) {
        String p = path == null ? "" : path;
        p = p.length() > SHOWN_PATH ? p.substring(0, SHOWN_PATH) + "..." : p;
        StringBuilder out = new StringBuilder(p.length());
        for (char c : p.toCharArray()) {
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
