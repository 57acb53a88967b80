package dev.caravan.floor;


import dev.caravan.ingress.protocol.ReplyHeaders;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Predicate;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.spi.Registry;

/**
 * The shape floors' steps (stacks {@code shape} and {@code shape-merged}): each of the gateway's beans on the chat
 * completion path replaced by a step that does only what the next one needs, so that what is left of the cost is
 * Camel's route shape around them, the consumer and the provider call. The names are the gateway's
 * ({@code dev.caravan.ChatSteps}), so that the shape's YAML reads as the gateway's routes.
 */
final class ShapeSteps {

    /** The exchange property the attempt loop's {@code toD} reads, as the gateway's NextAttempt.ROUTE. */
    static final String ATTEMPT_ROUTE = "caravan.attemptRoute";

    private ShapeSteps() {
    }

    /**
     * Binds the steps of stack {@code shape}: the gateway's step names, each a no-op but the attempt loop's condition
     * (one attempt, to route provider-fake), the call and the reply.
     */
    static void bindShape(CamelContext context, ProviderCall call) {
        Registry registry = context.getRegistry();
        Processor nothing = exchange -> {
        };
        for (String name : new String[] {"clientKeys.check", "httpRequests.read", "httpReplies.rejected",
                "httpReplies.internalError", "offLoopForEstimate", "router.plan", "clientAdmission",
                "streamResumption.arm", "router.conclude", "clientLimits.settle", "providerCalls.prepare",
                "providerCalls.interpret", "providerBreakers.failed", "router.attemptFailed"}) {
            registry.bind(name, Processor.class, nothing);
        }
        Predicate admitted = exchange -> true;
        registry.bind("admitted", Predicate.class, admitted);
        registry.bind("nextAttempt", Predicate.class, new OneAttempt(context, "direct:provider-fake"));
        registry.bind("providerHttp.call", call);
        Processor render = ShapeSteps::render;
        registry.bind("httpReplies.render", Processor.class, render);
    }

    /** Binds the one step of stack {@code shape-merged}: the call, and the reply it leaves for the consumer. */
    static void bindMerged(CamelContext context, ProviderCall call) {
        context.getRegistry().bind("callAndRender", new LoopStep() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                return call.process(exchange, done -> {
                    render(exchange);
                    callback.done(done);
                });
            }
        });
    }

    /**
     * The reply, left on the message for the consumer to write as the gateway's render leaves it: a buffer, its status
     * and content type as the typed reply head (ReplyHeaders, no message header set); the provider's answer, or a 502
     * when the call failed and the catch took it.
     */
    static void render(Exchange exchange) {
        Message message = exchange.getMessage();
        ReplyHeaders head = ReplyHeaders.of(message);
        if (message.getBody() instanceof Answer answer) {
            head.status(answer.status());
            if (answer.contentType() != null) {
                head.contentType(answer.contentType());
            }
            message.setBody(answer.body());
        } else {
            head.status(502).contentType("text/plain");
            message.setBody(Buffer.buffer("upstream call failed"));
        }
    }

    /** The provider's answer, read whole, as the call hands it on. */
    record Answer(int status, String contentType, Buffer body) {
    }

    /** The attempt loop's condition: one attempt, to one resolved endpoint; then stop. */
    private static final class OneAttempt implements Predicate {

        private final CamelContext context;
        private final String uri;
        private volatile Endpoint endpoint;

        OneAttempt(CamelContext context, String uri) {
            this.context = context;
            this.uri = uri;
        }

        @Override
        public boolean matches(Exchange exchange) {
            if (exchange.getProperty(ATTEMPT_ROUTE) != null) {
                exchange.removeProperty(ATTEMPT_ROUTE);
                return false;
            }
            Endpoint resolved = endpoint;
            if (resolved == null) {
                endpoint = resolved = context.getEndpoint(uri);
            }
            exchange.setProperty(ATTEMPT_ROUTE, resolved);
            return true;
        }
    }

    /**
     * The provider call as the pipe floor makes it (Vert.x's client on the event loop that read the request, a
     * per-attempt deadline, the call reset when the client goes away), but as the gateway's call step: the answer is
     * read whole and handed on as the body, the route goes on on the call's event loop, and a failure is the
     * exchange's exception, for the provider route's catch.
     */
    static final class ProviderCall extends LoopStep {

        private final Vertx vertx;
        private final HttpClient client;
        private final RequestOptions target;
        private final long deadlineMillis;

        ProviderCall(Vertx vertx, HttpClient client, String url, String apiKey, long deadlineMillis) {
            this.vertx = vertx;
            this.client = client;
            this.target = LoopStep.upstream(url, apiKey);
            this.deadlineMillis = deadlineMillis;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            HttpServerResponse out = ((HttpMessage) exchange.getIn()).getResponse();
            Buffer body = exchange.getMessage().getBody(Buffer.class);
            client.request(target).onComplete(opened -> {
                if (opened.failed()) {
                    exchange.setException(opened.cause());
                    callback.done(false);
                    return;
                }
                HttpClientRequest call = opened.result();
                long deadline = deadlineMillis > 0 ? vertx.setTimer(deadlineMillis, id -> call.reset()) : -1;
                out.closeHandler(closed -> call.reset());
                call.send(body).compose(answered -> answered.body().map(read -> answer(answered, read)))
                        .onComplete(answer -> {
                            vertx.cancelTimer(deadline);
                            if (answer.succeeded()) {
                                exchange.getMessage().setBody(answer.result());
                            } else {
                                exchange.setException(answer.cause());
                            }
                            callback.done(false);
                        });
            });
            return false;
        }

        private static Answer answer(HttpClientResponse in, Buffer body) {
            return new Answer(in.statusCode(), in.getHeader(HttpHeaders.CONTENT_TYPE), body);
        }
    }
}
