package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.caravan.chat.ErrorBody;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Simulated LLM providers on one loopback port, each under its own path and speaking its own dialect's wire
 * format: OpenAI ({@code /<name>/v1/chat/completions}), Anthropic ({@code /<name>/v1/messages}) or Gemini
 * ({@code /<name>/v1beta/models/<model>:generateContent} and {@code :streamGenerateContent}, and the Vertex AI
 * paths), with the model listing each provider has. Answers, streams, errors and headers have the real APIs'
 * shapes (the official SDKs parse them in the tests); {@code /<name>/_faults} tells a provider to misbehave at
 * run time, streams included.
 *
 * <p>Non-blocking: latency, slow streams and hangs are timers on the event loop, so one simulator holds thousands
 * of slow calls open. Used by the gateway when no provider key is configured, by the tests and by the benchmarks.
 * The bytes of each format are its {@link SimulatedWire}'s; timing and faults are this class's.
 */
public final class Simulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Simulator.class);
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, SimulatedWire> wires = Map.of("openai", new OpenAiWire(json),
            "gemini", new GeminiWire(json),
            "anthropic", new AnthropicWire(json));
    private final Map<String, SimulatedProvider> providers = new LinkedHashMap<>();
    private final Vertx vertx;
    private final String host;
    private HttpServer server;

    public Simulator(String host) {
        this.host = host;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
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
        router.post("/:provider/v1/chat/completions").handler(chat("openai"));
        router.post("/:provider/v1/messages").handler(chat("anthropic"));
        // OpenAI and Anthropic both list models at /v1/models: the provider's own dialect answers
        router.get("/:provider/v1/models").handler(ctx -> {
            SimulatedProvider provider = lookup(ctx);
            if (provider != null) {
                models(provider.dialect()).handle(ctx);
            }
        });
        // Gemini names model and method in one path segment ("gemini-2.5-flash:generateContent"); Vertex AI puts
        // the same under a project and region, and the stand-in simulator serves it below any API version
        router.postWithRegex("/(?<provider>[^/]+)/v1beta/models/(?<model>[^/:]+):(?<method>generateContent|"
                + "streamGenerateContent)").handler(this::geminiChat);
        router.postWithRegex("/(?<provider>[^/]+)/v1[a-z0-9]*/projects/[^/]+/locations/[^/]+/publishers/google/"
                + "models/(?<model>[^/:]+):(?<method>generateContent|streamGenerateContent)")
                .handler(this::geminiChat);
        router.get("/:provider/v1beta/models").handler(models("gemini"));
        router.getWithRegex("/(?<provider>[^/]+)/v1[a-z0-9]*/projects/[^/]+/locations/[^/]+/models")
                .handler(models("gemini"));
        router.get("/:provider/_faults").handler(this::showFault);
        router.post("/:provider/_faults").handler(this::setFault);
        router.put("/:provider/_faults").handler(this::setFault);
        router.delete("/:provider/_faults").handler(this::clearFault);
        router.get("/_providers").handler(this::listProviders);
        try {
            server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setIdleTimeout(0))
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

    private SimulatedProvider lookup(RoutingContext ctx) {
        SimulatedProvider provider = providers.get(ctx.pathParam("provider"));
        if (provider == null) {
            reply(ctx.response(), wires.get("openai").error(404, Fault.none().withCode("unknown_url")));
        }
        return provider;
    }

    /** The provider named in the path, when it speaks {@code dialect}; else a 404 as the real API gives. */
    private SimulatedProvider lookup(RoutingContext ctx, String dialect) {
        SimulatedProvider provider = lookup(ctx);
        if (provider != null && !provider.dialect().equals(dialect)) {
            reply(ctx.response(), wire(provider).error(404, Fault.none()));
            return null;
        }
        return provider;
    }

    private SimulatedWire wire(SimulatedProvider provider) {
        return wires.get(provider.dialect());
    }

    private Handler<RoutingContext> chat(String dialect) {
        return ctx -> chat(ctx, dialect, null, false);
    }

    private void geminiChat(RoutingContext ctx) {
        chat(ctx, "gemini", ctx.pathParam("model"), "streamGenerateContent".equals(ctx.pathParam("method")));
    }

    private void chat(RoutingContext ctx, String dialect, String pathModel, boolean pathStream) {
        SimulatedProvider provider = lookup(ctx, dialect);
        if (provider == null) {
            return;
        }
        provider.countChat();
        Map<String, List<String>> headers = new TreeMap<>();
        ctx.request().headers().forEach((name, value) -> headers.computeIfAbsent(
                name.toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(value));
        provider.recordChatHeaders(headers);
        Fault fault = provider.faultFor("chat");
        if (!"reset".equals(fault.mode())) {
            // a stream replaces this with its own count once it starts
            ctx.response().closeHandler(v -> {
                if (!ctx.response().ended()) {
                    provider.countAbandonedCall(); // the caller left before the answer was made
                }
            });
        }
        misbehaveOrElse(ctx, fault, () -> answerChat(ctx, provider, fault, pathModel, pathStream));
    }

    private Handler<RoutingContext> models(String dialect) {
        return ctx -> {
            SimulatedProvider provider = lookup(ctx, dialect);
            if (provider == null) {
                return;
            }
            provider.countModels();
            Fault fault = provider.faultFor("models");
            misbehaveOrElse(ctx, fault, () -> {
                SimulatedWire wire = wire(provider);
                SimulatedWire.Reply refused = wire.unauthorised(ctx.request(), provider.requiredKey());
                reply(ctx.response(), refused != null ? refused : wire.models());
            });
        };
    }

    private void misbehaveOrElse(RoutingContext ctx, Fault fault, Runnable answer) {
        if ("hang".equals(fault.mode())) {
            return; // the connection stays open without a byte until the client gives up
        }
        if ("reset".equals(fault.mode())) {
            ctx.request().connection().close();
            return;
        }
        long delay = (fault.latencyMs() == null ? 0 : fault.latencyMs())
                + (fault.jitterMs() == null || fault.jitterMs() <= 0 ? 0
                        : ThreadLocalRandom.current().nextLong(fault.jitterMs() + 1));
        Runnable respond = () -> {
            if (ctx.response().closed()) {
                return;
            }
            if ("malformed".equals(fault.mode())) {
                ctx.response().setStatusCode(200).putHeader("content-type", "application/json")
                        .end("{\"id\":\"broken\",\"choices\":[{\"index\":0,");
                return;
            }
            if ("cut_body".equals(fault.mode())) {
                // a 200 whose body stops partway, then the connection closes: a truncated answer
                String start = "{\"id\":\"cut\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                        + "\"message\":{\"role\":\"assistant\",\"content\":\"Half an ans";
                ctx.response().setStatusCode(200).putHeader("content-type", "application/json")
                        .putHeader("content-length", Integer.toString(start.length() + 1024)).write(start);
                ctx.request().connection().close();
                return;
            }
            if ("flood".equals(fault.mode())) {
                flood(ctx);
                return;
            }
            if ("stall_body".equals(fault.mode())) {
                // the head and the first bytes of a longer body, then nothing until the client gives up
                String start = "{\"id\":\"stalled\",\"object\":\"chat.completion\",";
                ctx.response().setStatusCode(200).putHeader("content-type", "application/json")
                        .putHeader("content-length", Integer.toString(start.length() + 1024)).write(start);
                return;
            }
            boolean inject = fault.status() != null || fault.errorRate() != null;
            if (inject && fault.errorRate() != null && ThreadLocalRandom.current().nextDouble() >= fault.errorRate()) {
                inject = false;
            }
            if (inject) {
                SimulatedProvider provider = providers.get(ctx.pathParam("provider"));
                int status = fault.status() == null ? 500 : fault.status();
                if (fault.retryAfter() != null) {
                    ctx.response().putHeader("retry-after", Integer.toString(fault.retryAfter()));
                }
                SimulatedWire.Reply error = wire(provider).error(status, fault);
                String key = fault.echoesKey() ? presentedKey(ctx) : null;
                if (key != null && error.body().path("error") instanceof ObjectNode details) {
                    details.put("message", details.path("message").asText() + " (called with key " + key + ")");
                    ctx.response().putHeader(ECHO_HEADER, key);
                }
                reply(ctx.response(), error);
            } else {
                answer.run();
            }
        };
        if (delay > 0) {
            vertx.setTimer(delay, id -> respond.run());
        } else {
            respond.run();
        }
    }

    private void answerChat(RoutingContext ctx, SimulatedProvider provider, Fault fault, String pathModel,
            boolean pathStream) {
        SimulatedWire wire = wire(provider);
        SimulatedWire.Reply refused = wire.unauthorised(ctx.request(), provider.requiredKey());
        if (refused != null) {
            reply(ctx.response(), refused);
            return;
        }
        SimulatedWire.SimRequest request;
        try {
            JsonNode body;
            try {
                body = json.readTree(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
            } catch (Exception e) {
                body = null;
            }
            request = wire.read(body, pathModel, pathStream);
        } catch (SimulatedWire.Rejected e) {
            reply(ctx.response(), e.reply);
            return;
        }
        SimulatedWire.Answer answer = answer(provider, request);
        String key = fault.echoesKey() ? presentedKey(ctx) : null;
        if (key != null) {
            ctx.response().putHeader(ECHO_HEADER, key);
        }
        if (request.stream()) {
            SimulatedWire.Frames frames = wire.stream(request, answer);
            if (key != null) {
                frames = new SimulatedWire.Frames(echo(frames.head(), key), echo(frames.content(), key),
                        echo(frames.tail(), key), frames.end());
            }
            stream(ctx, provider, wire, frames, fault.stream() == null ? Fault.StreamFault.none() : fault.stream());
        } else {
            SimulatedWire.Reply completion = wire.completion(request, answer);
            if (key != null && completion.body() instanceof ObjectNode body) {
                echo(body, key);
            }
            reply(ctx.response(), completion);
        }
    }

    /** The response header an {@code echo_key} fault puts the key in. */
    public static final String ECHO_HEADER = "x-echoed-key";

    /** The key the call carried, in whichever header its dialect uses. */
    private static String presentedKey(RoutingContext ctx) {
        for (String header : List.of("x-api-key", "x-goog-api-key")) {
            String value = ctx.request().getHeader(header);
            if (value != null) {
                return value;
            }
        }
        String auth = ctx.request().getHeader("Authorization");
        return auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : null;
    }

    /**
     * Echoes {@code key} into one answer object as a careless provider might: an extra field holding it whole and
     * with every character JSON-escaped, and appended to the answer's id, which every dialect keeps.
     */
    private void echo(ObjectNode body, String key) {
        StringBuilder escaped = new StringBuilder("\"");
        key.chars().forEach(c -> escaped.append(String.format("\\u%04x", c)));
        ObjectNode echo = body.putObject("echo");
        echo.put("api_key", key);
        echo.putRawValue("escaped", new RawValue(escaped.append('"').toString()));
        for (String id : List.of("id", "responseId")) {
            if (body.path(id).isTextual()) {
                body.put(id, body.get(id).asText() + "-" + key);
            }
        }
        if (body.path("message") instanceof ObjectNode message) {
            echo(message, key); // Anthropic's message_start event carries the message in a field
        }
    }

    /** The frames with the key echoed into each event's JSON. */
    private List<String> echo(List<String> frames, String key) {
        List<String> echoed = new ArrayList<>();
        for (String frame : frames) {
            int data = frame.indexOf("data: ");
            int end = data < 0 ? -1 : frame.indexOf('\n', data); // the data line ends at \n or \r\n
            if (end > 0 && frame.charAt(end - 1) == '\r') {
                end--;
            }
            try {
                if (data >= 0 && end > data && json.readTree(frame.substring(data + 6, end)) instanceof ObjectNode event) {
                    echo(event, key);
                    frame = frame.substring(0, data + 6) + json.writeValueAsString(event) + frame.substring(end);
                }
            } catch (Exception e) {
                // not JSON ([DONE], a deliberately broken frame): sent as it is
            }
            echoed.add(frame);
        }
        return echoed;
    }

    /**
     * The simulated answer: a reply naming the provider, model and prompt, in word-sized pieces; or, when the
     * request declares tools and the prompt names the first one, a call of that tool.
     */
    private SimulatedWire.Answer answer(SimulatedProvider provider, SimulatedWire.SimRequest request) {
        String id = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        int promptTokens = Math.max(1, (request.raw().toString().length() + 3) / 4);
        if (request.toolName() != null && request.prompt().contains(request.toolName())) {
            String arguments = json.createObjectNode().put("query", request.prompt().length() > 80
                    ? request.prompt().substring(0, 80) : request.prompt()).toString();
            return new SimulatedWire.Answer(id, List.of(), request.toolName(), arguments, promptTokens,
                    Math.max(1, (arguments.length() + 3) / 4));
        }
        String prompt = request.prompt();
        String content = "Simulated reply from " + provider.name() + " (" + request.model() + ") to: "
                + (prompt.length() > 200 ? prompt.substring(0, 200) + "..." : prompt);
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= content.length(); i++) {
            if (i == content.length() || content.charAt(i - 1) == ' ') {
                pieces.add(content.substring(from, i));
                from = i;
            }
        }
        return new SimulatedWire.Answer(id, pieces, null, null, promptTokens, Math.max(1, (content.length() + 3) / 4));
    }

    /** A 200 whose body never ends: 64 KB of one endless line at a time, as fast as the client reads them. */
    private void flood(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        String asked = ctx.body().asString("UTF-8");
        boolean stream = ctx.request().path().contains("stream") || asked != null && asked.contains("\"stream\":true");
        response.setStatusCode(200).setChunked(true)
                .putHeader("content-type", stream ? "text/event-stream" : "application/json");
        response.write(stream ? "data: {\"flood\":\"" : "{\"flood\":\"");
        Buffer more = Buffer.buffer("x".repeat(64 * 1024));
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            while (!response.closed() && !response.writeQueueFull()) {
                response.write(more);
            }
            if (!response.closed()) {
                response.drainHandler(v -> next[0].run());
            }
        };
        next[0].run();
    }

    /** Sends a stream frame by frame on the event loop, applying the stream fault at content boundaries. */
    private void stream(RoutingContext ctx, SimulatedProvider provider, SimulatedWire wire, SimulatedWire.Frames frames,
            Fault.StreamFault fault) {
        HttpServerResponse response = ctx.response();
        response.closeHandler(v -> {
            if (!response.ended()) {
                provider.countAbandoned(); // the caller hung up before the stream's end
            }
        });
        response.setStatusCode(200).setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache");
        frames.head().forEach(response::write);
        streamFrom(ctx, provider, wire, frames, fault, 0);
    }

    private void streamFrom(RoutingContext ctx, SimulatedProvider provider, SimulatedWire wire,
            SimulatedWire.Frames frames, Fault.StreamFault fault, int piece) {
        HttpServerResponse response = ctx.response();
        if (response.closed()) {
            return;
        }
        if (fault.stallAfter() != null && piece == fault.stallAfter()) {
            return; // nothing more, the connection stays open
        }
        if (fault.cutAfter() != null && piece == fault.cutAfter()) {
            ctx.request().connection().close(); // no terminating chunk: the client sees a broken body
            return;
        }
        if (fault.errorAfter() != null && piece == fault.errorAfter()) {
            response.end(wire.streamError());
            return;
        }
        if (piece == frames.content().size()) {
            frames.tail().forEach(response::write);
            if (!Boolean.TRUE.equals(fault.noDone())) {
                frames.end().forEach(response::write);
            }
            response.end();
            return;
        }
        Long wait = piece == 0 ? fault.firstTokenMs() : fault.chunkMs();
        Runnable send = () -> {
            if (response.closed()) {
                return;
            }
            if (fault.malformedAt() != null && piece == fault.malformedAt()) {
                response.write(wire.malformedFrame());
            }
            response.write(frames.content().get(piece));
            provider.countStreamPiece();
            streamFrom(ctx, provider, wire, frames, fault, piece + 1);
        };
        if (wait != null && wait > 0) {
            vertx.setTimer(wait, id -> send.run());
        } else {
            send.run();
        }
    }

    private void showFault(RoutingContext ctx) {
        SimulatedProvider provider = lookup(ctx);
        if (provider != null) {
            send(ctx.response(), 200, state(provider));
        }
    }

    private void setFault(RoutingContext ctx) {
        SimulatedProvider provider = lookup(ctx);
        if (provider == null) {
            return;
        }
        try {
            Buffer buffer = ctx.body().buffer();
            ObjectNode asked = buffer == null || buffer.length() == 0 ? json.createObjectNode()
                    : (ObjectNode) json.readTree(buffer.getBytes());
            // "for_ms": the fault ends by itself after this long (an outage that recovers)
            JsonNode forMs = asked.remove("for_ms");
            if (forMs != null && (!forMs.canConvertToLong() || forMs.asLong() <= 0)) {
                throw new IllegalArgumentException("'for_ms' must be a positive number of milliseconds");
            }
            Fault fault = json.treeToValue(asked, Fault.class).checked();
            if (forMs != null) {
                provider.failFor(fault, forMs.asLong());
            } else {
                provider.fail(fault);
            }
            LOG.info("simulated provider {} now misbehaves: {}", provider.name(), json.writeValueAsString(fault));
            send(ctx.response(), 200, state(provider));
        } catch (Exception e) {
            send(ctx.response(), 400, ErrorBody.of(json, "Not a fault: " + e.getMessage(), "invalid_request_error",
                    null, null));
        }
    }

    private void clearFault(RoutingContext ctx) {
        SimulatedProvider provider = lookup(ctx);
        if (provider != null) {
            provider.heal();
            LOG.info("simulated provider {} is healthy again", provider.name());
            send(ctx.response(), 200, state(provider));
        }
    }

    private void listProviders(RoutingContext ctx) {
        List<ObjectNode> all = new ArrayList<>();
        providers.values().forEach(p -> all.add(state(p)));
        send(ctx.response(), 200, json.valueToTree(all));
    }

    private ObjectNode state(SimulatedProvider provider) {
        ObjectNode state = json.createObjectNode();
        state.put("provider", provider.name());
        state.put("dialect", provider.dialect());
        state.put("base_url", baseUrl(provider.name()));
        state.set("fault", json.valueToTree(provider.fault()));
        state.put("chat_calls", provider.chatCalls());
        state.put("model_calls", provider.modelCalls());
        return state;
    }

    private void reply(HttpServerResponse response, SimulatedWire.Reply reply) {
        reply.headers().forEach(response::putHeader);
        send(response, reply.status(), reply.body());
    }

    private void send(HttpServerResponse response, int status, JsonNode body) {
        try {
            response.setStatusCode(status).putHeader("content-type", "application/json")
                    .end(Buffer.buffer(json.writeValueAsBytes(body)));
        } catch (Exception e) {
            response.setStatusCode(500).end();
        }
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

    static String mask(String key) {
        return key.length() <= 8 ? "****" : key.substring(0, 4) + "*".repeat(key.length() - 8)
                + key.substring(key.length() - 4);
    }
}
