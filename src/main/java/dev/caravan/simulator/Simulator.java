package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Simulated LLM providers on one loopback port, each under its own path and speaking its own dialect's wire
 * format: OpenAI ({@code /<name>/v1/chat/completions}, {@code /v1/responses} and its {@code input_tokens},
 * {@code /v1/embeddings}), Anthropic
 * ({@code /<name>/v1/messages}, {@code /v1/messages/count_tokens}) or Gemini
 * ({@code /<name>/v1beta/models/<model>:generateContent}, {@code :streamGenerateContent}, {@code :countTokens},
 * {@code :embedContent}, {@code :batchEmbedContents}, and the Vertex AI paths), with the model listing each
 * provider has. Answers, streams, errors and headers have the real APIs' shapes (the official SDKs parse them in
 * the tests), and honour what was asked (JSON schemas, {@code n}, tool choice, logprobs, token limits);
 * {@code /<name>/_faults} tells a provider to misbehave at run time, on every endpoint, streams included.
 *
 * <p>Non-blocking: latency, slow streams and hangs are timers on the event loop, so one simulator holds thousands
 * of slow calls open. Used by the gateway when no provider key is configured, by the tests and by the benchmarks.
 * The bytes of each format are its {@link SimulatedWire}'s; faults are {@link Misbehaviour}'s and
 * {@link Streamer}'s; this class routes.
 */
public final class Simulator implements AutoCloseable {

    /** The response header an {@code echo_key} fault puts the key in. */
    public static final String ECHO_HEADER = Misbehaviour.ECHO_HEADER;

    private static final Logger LOG = LoggerFactory.getLogger(Simulator.class);
    private static final String GEMINI_METHODS = "generateContent|streamGenerateContent|countTokens|embedContent|"
            + "batchEmbedContents";

    private final ObjectMapper json = new ObjectMapper();
    private final OpenAiWire openai = new OpenAiWire(json);
    private final AnthropicWire anthropic = new AnthropicWire(json);
    private final GeminiWire gemini = new GeminiWire(json);
    private final Map<String, SimulatedWire> wires = Map.of("openai", openai, "gemini", gemini,
            "anthropic", anthropic);
    private final Map<String, SimulatedProvider> providers = new LinkedHashMap<>();
    private final Vertx vertx;
    private final String host;
    private final Misbehaviour out;
    private final ResponsesWire responsesWire = new ResponsesWire(json, openai);
    private final ChatEndpoints chats;
    private final EmbeddingsWire embeddings = new EmbeddingsWire(json, openai, gemini);
    private final TokenCounts counts = new TokenCounts(json, anthropic, gemini);
    private final FaultControls faults;
    private HttpServer server;

    public Simulator(String host) {
        this.host = host;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        this.out = new Misbehaviour(json, vertx);
        this.chats = new ChatEndpoints(json, out, new Streamer(json, vertx, out), responsesWire);
        this.faults = new FaultControls(json, out, this::baseUrl);
    }

    /** Adds an OpenAI provider; {@code requiredKey} null accepts any key. Call before {@link #start}. */
    public SimulatedProvider add(String name, String requiredKey) {
        return add(name, "openai", requiredKey);
    }

    /** Adds a provider speaking {@code dialect}; {@code requiredKey} null accepts any key. Call before {@link #start}. */
    public SimulatedProvider add(String name, String dialect, String requiredKey) {
        if (!wires.containsKey(dialect)) {
            throw new IllegalArgumentException("the simulator does not speak '" + dialect + "'; it speaks "
                    + wires.keySet());
        }
        SimulatedProvider provider = new SimulatedProvider(name, dialect, requiredKey);
        providers.put(name, provider);
        return provider;
    }

    public boolean has(String name) {
        return providers.containsKey(name);
    }

    public SimulatedProvider provider(String name) {
        SimulatedProvider provider = providers.get(name);
        if (provider == null) {
            throw new IllegalArgumentException("no simulated provider '" + name + "'");
        }
        return provider;
    }

    /** Starts listening; {@code port} 0 picks a free one. Returns the port. */
    public int start(int port) {
        Router router = Router.router(vertx);
        // a fault is a few fields: its body is held to 64 KB (the first body handler to run is the one that reads)
        router.route("/:provider/_faults").handler(BodyHandler.create().setBodyLimit(64L * 1024));
        router.route().handler(BodyHandler.create().setBodyLimit(64L * 1024 * 1024));
        router.post("/:provider/v1/chat/completions").handler(ctx -> serve(ctx, "openai", Api.CHAT,
                (c, p, f, body) -> chats.chat(c, p, f, openai, body, null, false)));
        router.post("/:provider/v1/responses").handler(ctx -> serve(ctx, "openai", Api.RESPONSES, chats::responses));
        router.post("/:provider/v1/responses/input_tokens").handler(ctx -> serve(ctx, "openai", Api.COUNT_TOKENS,
                (c, p, f, body) -> out.answer(c, f, counts.responses(body, responsesWire))));
        router.get("/:provider/v1/responses/:id").handler(ctx -> serve(ctx, "openai", Api.RESPONSES,
                (c, p, f, body) -> chats.stored(c, p, f, c.pathParam("id"))));
        router.post("/:provider/v1/embeddings").handler(ctx -> serve(ctx, "openai", Api.EMBEDDINGS,
                (c, p, f, body) -> out.answer(c, f, embeddings.openai(body, p))));
        router.post("/:provider/v1/messages").handler(ctx -> serve(ctx, "anthropic", Api.CHAT,
                (c, p, f, body) -> chats.chat(c, p, f, anthropic, body, null, false)));
        router.post("/:provider/v1/messages/count_tokens").handler(ctx -> serve(ctx, "anthropic", Api.COUNT_TOKENS,
                (c, p, f, body) -> out.answer(c, f, counts.anthropic(body))));
        // OpenAI and Anthropic both list models at /v1/models: the provider's own dialect answers
        router.get("/:provider/v1/models").handler(ctx -> {
            SimulatedProvider provider = lookup(ctx);
            if (provider != null) {
                models(ctx, provider.dialect());
            }
        });
        // Gemini names model and method in one path segment ("gemini-2.5-flash:generateContent"); Vertex AI puts
        // the same under a project and region, and the stand-in simulator serves it below any API version
        router.postWithRegex("/(?<provider>[^/]+)/v1beta/models/(?<model>[^/:]+):(?<method>" + GEMINI_METHODS + ")")
                .handler(this::gemini);
        router.postWithRegex("/(?<provider>[^/]+)/v1[a-z0-9]*/projects/[^/]+/locations/[^/]+/publishers/google/"
                + "models/(?<model>[^/:]+):(?<method>" + GEMINI_METHODS + ")").handler(this::gemini);
        router.get("/:provider/v1beta/models").handler(ctx -> models(ctx, "gemini"));
        router.getWithRegex("/(?<provider>[^/]+)/v1[a-z0-9]*/projects/[^/]+/locations/[^/]+/models")
                .handler(ctx -> models(ctx, "gemini"));
        router.get("/:provider/_faults").handler(ctx -> withProvider(ctx, p -> faults.show(ctx, p)));
        router.post("/:provider/_faults").handler(ctx -> withProvider(ctx, p -> faults.set(ctx, p)));
        router.put("/:provider/_faults").handler(ctx -> withProvider(ctx, p -> faults.set(ctx, p)));
        router.delete("/:provider/_faults").handler(ctx -> withProvider(ctx, p -> faults.clear(ctx, p)));
        router.post("/:provider/_faults/release").handler(ctx -> withProvider(ctx, p -> faults.release(ctx, p)));
        router.get("/_providers").handler(ctx -> faults.list(ctx, providers.values()));
        // any other path: the provider's own 404 body, never an HTML page
        router.route().handler(ctx -> withProvider(ctx, p -> out.reply(ctx.response(),
                wire(p).error(404, Fault.none().withCode("unknown_url")))));
        try {
            // h2c with prior knowledge is on by default (Vert.x's http2ClearTextEnabled): said here since a gateway's
            // provider with http2=true on a plain http base URL needs it. No guard against resets (0: off): a slow
            // answer to a call its client cut is refused by a reset from this side, and a gateway whose callers hang
            // up by the thousand (a benchmark's end) would pass Netty's 200 in 30 s and lose the connection's other
            // calls
            server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setIdleTimeout(0)
                            .setHttp2ClearTextEnabled(true).setHttp2RstFloodMaxRstFramePerWindow(0))
                    .requestHandler(router)
                    .listen()
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the simulator could not listen on " + host + ":" + port, e);
        }
        LOG.info("simulated providers {} listening on http://{}:{}", providers.keySet(), host, server.actualPort());
        return server.actualPort();
    }

    public int port() {
        return server.actualPort();
    }

    /** The base URL a gateway provider entry uses for the simulated provider {@code name}. */
    public String baseUrl(String name) {
        return root(name) + wire(provider(name)).basePath();
    }

    /** The root an official SDK is pointed at for {@code name}: the base URL without its API version. */
    public String root(String name) {
        return "http://" + host + ":" + port() + "/" + name;
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("the simulator did not stop cleanly", e);
        }
    }

    /** What an endpoint does once the fault let the call through and the key was accepted. */
    @FunctionalInterface
    interface Endpoint {
        void answer(RoutingContext ctx, SimulatedProvider provider, Fault fault, JsonNode body);
    }

    private void gemini(RoutingContext ctx) {
        String model = ctx.pathParam("model");
        switch (ctx.pathParam("method")) {
            case "countTokens" -> serve(ctx, "gemini", Api.COUNT_TOKENS,
                    (c, p, f, body) -> out.answer(c, f, counts.gemini(body)));
            case "embedContent" -> serve(ctx, "gemini", Api.EMBEDDINGS,
                    (c, p, f, body) -> out.answer(c, f, embeddings.geminiOne(body, p, model)));
            case "batchEmbedContents" -> serve(ctx, "gemini", Api.EMBEDDINGS,
                    (c, p, f, body) -> out.answer(c, f, embeddings.geminiBatch(body, p, model)));
            default -> serve(ctx, "gemini", Api.CHAT, (c, p, f, body) -> chats.chat(c, p, f, gemini, body, model,
                    "streamGenerateContent".equals(ctx.pathParam("method"))));
        }
    }

    /**
     * One call of {@code api} on the provider in the path: counted, its fault played, its key checked, then
     * answered by {@code endpoint}; a request the provider refuses gets the provider's own error.
     */
    private void serve(RoutingContext ctx, String dialect, String api, Endpoint endpoint) {
        SimulatedProvider provider = lookup(ctx, dialect);
        if (provider == null) {
            return;
        }
        SimulatedWire wire = wire(provider);
        if (!provider.serves(api)) {
            out.reply(ctx.response(), wire.error(404, Fault.none().withCode("unknown_url")));
            return;
        }
        JsonNode body = body(ctx);
        provider.count(api, body);
        provider.recordRawBody(ctx.body().buffer() == null ? null : ctx.body().buffer().getBytes());
        if (ctx.request().method().name().equals("POST") && (api.equals(Api.CHAT) || api.equals(Api.RESPONSES))) {
            provider.countChat(ctx.request().version() == io.vertx.core.http.HttpVersion.HTTP_2);
            Map<String, List<String>> headers = new TreeMap<>();
            ctx.request().headers().forEach((name, value) -> headers.computeIfAbsent(
                    name.toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(value));
            provider.recordChatHeaders(headers);
        }
        Fault fault = provider.faultFor(api);
        if (!"reset".equals(fault.mode())) {
            // a stream replaces this with its own count once it starts
            ctx.response().closeHandler(v -> {
                if (!ctx.response().ended()) {
                    provider.countAbandonedCall(); // the caller left before the answer was made
                }
            });
        }
        out.misbehaveOrElse(ctx, provider, fault, wire, () -> {
            SimulatedWire.Reply refused = wire.unauthorised(ctx.request(), provider.requiredKey());
            if (refused != null) {
                out.reply(ctx.response(), refused);
                return;
            }
            try {
                endpoint.answer(ctx, provider, fault, body);
            } catch (SimulatedWire.Rejected e) {
                out.reply(ctx.response(), e.reply);
            }
        });
    }

    private JsonNode body(RoutingContext ctx) {
        try {
            return ctx.body().buffer() == null || ctx.body().buffer().length() == 0 ? null
                    : json.readTree(ctx.body().buffer().getBytes());
        } catch (Exception e) {
            return null;
        }
    }

    private void models(RoutingContext ctx, String dialect) {
        SimulatedProvider provider = lookup(ctx, dialect);
        if (provider == null) {
            return;
        }
        provider.countModels();
        SimulatedWire wire = wire(provider);
        out.misbehaveOrElse(ctx, provider, provider.faultFor(Api.MODELS), wire, () -> {
            SimulatedWire.Reply refused = wire.unauthorised(ctx.request(), provider.requiredKey());
            out.reply(ctx.response(), refused != null ? refused : wire.models());
        });
    }

    private void withProvider(RoutingContext ctx, java.util.function.Consumer<SimulatedProvider> action) {
        SimulatedProvider provider = lookup(ctx);
        if (provider != null) {
            action.accept(provider);
        }
    }

    private SimulatedProvider lookup(RoutingContext ctx) {
        String name = ctx.pathParam("provider");
        if (name == null) {
            String path = ctx.request().path();
            int end = path.indexOf('/', 1);
            name = path.substring(1, end < 0 ? path.length() : end);
        }
        SimulatedProvider provider = providers.get(name);
        if (provider == null) {
            out.reply(ctx.response(), openai.error(404, Fault.none().withCode("unknown_url")));
        }
        return provider;
    }

    /** The provider named in the path, when it speaks {@code dialect}; else a 404 as the real API gives. */
    private SimulatedProvider lookup(RoutingContext ctx, String dialect) {
        SimulatedProvider provider = lookup(ctx);
        if (provider != null && !provider.dialect().equals(dialect)) {
            out.reply(ctx.response(), wire(provider).error(404, Fault.none()));
            return null;
        }
        return provider;
    }

    private SimulatedWire wire(SimulatedProvider provider) {
        return wires.get(provider.dialect());
    }

    /** The text of a message's content: a string, or the {@code textField} of its parts joined. */
    static String text(JsonNode content, String textField) {
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        content.forEach(part -> text.append(part.path(textField).asText("")));
        return text.toString();
    }

    /** How a prompt that is a tool's result begins. */
    static final String TOOL_OUTPUT = "the output of ";

    /** What a model answers after a tool's result: the result, named by its call. */
    static String toolOutput(String call, String output) {
        return TOOL_OUTPUT + call + ": " + output;
    }

    static String mask(String key) {
        return key.length() <= 8 ? "****" : key.substring(0, 4) + "*".repeat(key.length() - 8)
                + key.substring(key.length() - 4);
    }
}
