package dev.caravan.simulator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ErrorBody;
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
 * Simulated LLM providers speaking the OpenAI wire format on one loopback port, each under its own path:
 * {@code /<name>/v1/chat/completions} and {@code /<name>/v1/models} answer like the real API (same JSON shapes,
 * ids, usage, error bodies and headers), and {@code /<name>/_faults} tells a provider to misbehave at run time.
 *
 * <p>Non-blocking: latency and hangs are timers on the event loop, so one simulator holds thousands of slow
 * calls open. Used by the gateway when no provider key is configured, by the tests and by the benchmarks.
 */
public final class Simulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Simulator.class);
    private static final String[] MODELS = {"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "o4-mini"};

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, SimulatedProvider> providers = new LinkedHashMap<>();
    private final Vertx vertx;
    private final String host;
    private HttpServer server;

    public Simulator(String host) {
        this.host = host;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    }

    /** Adds a provider; {@code requiredKey} null accepts any bearer token. Call before {@link #start}. */
    public SimulatedProvider add(String name, String requiredKey) {
        SimulatedProvider provider = new SimulatedProvider(name, requiredKey);
        providers.put(name, provider);
        return provider;
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
        router.route().handler(BodyHandler.create().setBodyLimit(64L * 1024 * 1024));
        router.post("/:provider/v1/chat/completions").handler(this::chat);
        router.get("/:provider/v1/models").handler(this::models);
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
        return "http://" + host + ":" + port() + "/" + name + "/v1";
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
            error(ctx.response(), 404, "invalid_request_error", "unknown_url",
                    "Unknown simulated provider '" + ctx.pathParam("provider") + "'.", null);
        }
        return provider;
    }

    private void chat(RoutingContext ctx) {
        SimulatedProvider provider = lookup(ctx);
        if (provider == null) {
            return;
        }
        provider.countChat();
        Fault fault = provider.faultFor("chat");
        misbehaveOrElse(ctx, provider, fault, () -> answerChat(ctx, provider));
    }

    private void models(RoutingContext ctx) {
        SimulatedProvider provider = lookup(ctx);
        if (provider == null) {
            return;
        }
        provider.countModels();
        Fault fault = provider.faultFor("models");
        misbehaveOrElse(ctx, provider, fault, () -> {
            if (!authorised(ctx, provider)) {
                return;
            }
            ObjectNode list = json.createObjectNode().put("object", "list");
            ArrayNode data = list.putArray("data");
            for (String model : MODELS) {
                data.addObject().put("id", model).put("object", "model").put("created", 1_715_367_049L)
                        .put("owned_by", "system");
            }
            send(ctx.response(), 200, list);
        });
    }

    private void misbehaveOrElse(RoutingContext ctx, SimulatedProvider provider, Fault fault, Runnable answer) {
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
                        .end("{\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,");
                return;
            }
            boolean inject = fault.status() != null || fault.errorRate() != null;
            if (inject && fault.errorRate() != null && ThreadLocalRandom.current().nextDouble() >= fault.errorRate()) {
                inject = false;
            }
            if (inject) {
                injectError(ctx.response(), fault.status() == null ? 500 : fault.status(), fault);
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

    private void answerChat(RoutingContext ctx, SimulatedProvider provider) {
        if (!authorised(ctx, provider)) {
            return;
        }
        JsonNode request;
        try {
            request = json.readTree(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
        } catch (Exception e) {
            error(ctx.response(), 400, "invalid_request_error", null,
                    "We could not parse the JSON body of your request.", null);
            return;
        }
        if (request == null || !request.path("model").isTextual()) {
            error(ctx.response(), 400, "invalid_request_error", null, "you must provide a model parameter", null);
            return;
        }
        JsonNode messages = request.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            error(ctx.response(), 400, "invalid_request_error", null,
                    "[] is too short - 'messages'", "messages");
            return;
        }
        String model = request.get("model").asText();
        String prompt = lastUserText(messages);
        String content = "Simulated reply from " + provider.name() + " (" + model + ") to: "
                + (prompt.length() > 200 ? prompt.substring(0, 200) + "..." : prompt);
        int promptTokens = Math.max(1, (messages.toString().length() + 3) / 4);
        int completionTokens = Math.max(1, (content.length() + 3) / 4);
        ObjectNode body = json.createObjectNode();
        body.put("id", "chatcmpl-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        body.put("object", "chat.completion");
        body.put("created", Instant.now().getEpochSecond());
        body.put("model", model);
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", content).putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", "stop");
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        usage.putObject("prompt_tokens_details").put("cached_tokens", 0);
        usage.putObject("completion_tokens_details").put("reasoning_tokens", 0);
        body.put("system_fingerprint", "fp_simulated");
        ctx.response()
                .putHeader("x-request-id", "req_" + Long.toHexString(ThreadLocalRandom.current().nextLong()))
                .putHeader("openai-processing-ms", "1")
                .putHeader("x-ratelimit-limit-requests", "10000")
                .putHeader("x-ratelimit-remaining-requests", "9999")
                .putHeader("x-ratelimit-reset-requests", "6ms");
        send(ctx.response(), 200, body);
    }

    private boolean authorised(RoutingContext ctx, SimulatedProvider provider) {
        String auth = ctx.request().getHeader("Authorization");
        String token = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : null;
        if (token == null || token.isEmpty()) {
            error(ctx.response(), 401, "invalid_request_error", null,
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                            + "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", null);
            return false;
        }
        if (provider.requiredKey() != null && !provider.requiredKey().equals(token)) {
            error(ctx.response(), 401, "invalid_request_error", "invalid_api_key",
                    "Incorrect API key provided: " + mask(token) + ". You can find your API key at "
                            + "https://platform.openai.com/account/api-keys.", null);
            return false;
        }
        return true;
    }

    private void injectError(HttpServerResponse response, int status, Fault fault) {
        if (fault.retryAfter() != null) {
            response.putHeader("retry-after", Integer.toString(fault.retryAfter()));
        }
        String code = fault.code();
        switch (status) {
            case 400 -> {
                if ("context_length_exceeded".equals(code)) {
                    error(response, 400, "invalid_request_error", code, "This model's maximum context length is "
                            + "128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the "
                            + "length of the messages.", "messages");
                } else {
                    error(response, 400, "invalid_request_error", code,
                            "Invalid value for 'temperature': must be between 0 and 2.", "temperature");
                }
            }
            case 401 -> error(response, 401, "invalid_request_error", "invalid_api_key",
                    "Incorrect API key provided: sk-simu*******************key1.", null);
            case 429 -> error(response, 429, "requests", "rate_limit_exceeded",
                    "Rate limit reached for requests. Please try again in "
                            + (fault.retryAfter() == null ? 1 : fault.retryAfter()) + "s.", null);
            case 503 -> error(response, 503, "server_error", null,
                    "The server is overloaded or not ready yet.", null);
            default -> error(response, status, status >= 500 ? "server_error" : "invalid_request_error", code,
                    status >= 500 ? "The server had an error while processing your request. Sorry about that!"
                            : "Simulated error " + status + ".", null);
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
            Fault fault = buffer == null || buffer.length() == 0 ? Fault.none()
                    : json.readValue(buffer.getBytes(), Fault.class);
            if (fault.mode() != null && !List.of("hang", "reset", "malformed").contains(fault.mode())) {
                throw new IllegalArgumentException("'mode' must be hang, reset or malformed");
            }
            provider.fail(fault);
            LOG.info("simulated provider {} now misbehaves: {}", provider.name(), json.writeValueAsString(fault));
            send(ctx.response(), 200, state(provider));
        } catch (Exception e) {
            error(ctx.response(), 400, "invalid_request_error", null, "Not a fault: " + e.getMessage(), null);
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
        state.put("base_url", baseUrl(provider.name()));
        state.set("fault", json.valueToTree(provider.fault()));
        state.put("chat_calls", provider.chatCalls());
        state.put("model_calls", provider.modelCalls());
        return state;
    }

    private void error(HttpServerResponse response, int status, String type, String code, String message,
            String param) {
        send(response, status, ErrorBody.of(json, message, type, code, param));
    }

    private void send(HttpServerResponse response, int status, JsonNode body) {
        try {
            response.setStatusCode(status).putHeader("content-type", "application/json")
                    .end(Buffer.buffer(json.writeValueAsBytes(body)));
        } catch (Exception e) {
            response.setStatusCode(500).end();
        }
    }

    private static String lastUserText(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode m = messages.get(i);
            if ("user".equals(m.path("role").asText())) {
                JsonNode content = m.path("content");
                if (content.isTextual()) {
                    return content.asText();
                }
                StringBuilder text = new StringBuilder();
                content.forEach(part -> text.append(part.path("text").asText("")));
                return text.toString();
            }
        }
        return "";
    }

    private static String mask(String key) {
        return key.length() <= 8 ? "****" : key.substring(0, 4) + "*".repeat(key.length() - 8)
                + key.substring(key.length() - 4);
    }
}
