package dev.caravan.simulator;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * What a fault does to a call before any answer is made, the same on every endpoint: wait, hang, hold, reset, send a
 * broken or endless body, or the provider's error answer; and how an answer is written, the key echoed into it when
 * the fault says so. Everything runs on the event loop: waits are timers.
 */
final class Misbehaviour {

    /** The response header an {@code echo_key} fault puts the key in. */
    static final String ECHO_HEADER = "x-echoed-key";

    private final ObjectMapper json;
    private final Vertx vertx;

    Misbehaviour(ObjectMapper json, Vertx vertx) {
        this.json = json;
        this.vertx = vertx;
    }

    /** Plays {@code fault} on the call, or runs {@code answer} (after the fault's latency) when it lets it through. */
    void misbehaveOrElse(RoutingContext ctx, SimulatedProvider provider, Fault fault, SimulatedWire wire,
            Runnable answer) {
        if ("hang".equals(fault.mode())) {
            return; // the connection stays open without a byte until the client gives up
        }
        if ("hold".equals(fault.mode())) {
            // as a hang, until released: then back on this call's event loop, the rest of the fault is played
            Context loop = Vertx.currentContext();
            provider.hold(ctx.response(), () -> loop.runOnContext(
                    v -> misbehaveOrElse(ctx, provider, fault.released(), wire, answer)));
            return;
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
            if (!brokenBody(ctx, fault)) {
                if (injectsError(fault)) {
                    int status = fault.status() == null ? 500 : fault.status();
                    if (fault.retryAfter() != null) {
                        ctx.response().putHeader("retry-after", Integer.toString(fault.retryAfter()));
                    }
                    SimulatedWire.Reply error = wire.error(status, fault);
                    String key = fault.echoesKey() ? presentedKey(ctx) : null;
                    if (key != null && error.body().path("error") instanceof ObjectNode details) {
                        details.put("message", details.path("message").asText() + " (called with key " + key + ")");
                        ctx.response().putHeader(ECHO_HEADER, key);
                    }
                    reply(ctx.response(), error);
                } else {
                    answer.run();
                }
            }
        };
        if (delay > 0) {
            vertx.setTimer(delay, id -> respond.run());
        } else {
            respond.run();
        }
    }

    private static boolean injectsError(Fault fault) {
        boolean inject = fault.status() != null || fault.errorRate() != null;
        return inject && (fault.errorRate() == null || ThreadLocalRandom.current().nextDouble() < fault.errorRate());
    }

    /** The body modes: a 200 whose body is cut, stalls or never ends. True when one was played. */
    private boolean brokenBody(RoutingContext ctx, Fault fault) {
        HttpServerResponse response = ctx.response();
        switch (fault.mode() == null ? "" : fault.mode()) {
            case "malformed" -> response.setStatusCode(200).putHeader("content-type", "application/json")
                    .end("{\"id\":\"broken\",\"choices\":[{\"index\":0,");
            case "cut_body" -> {
                // a 200 whose body stops partway, then the connection closes: a truncated answer
                String start = "{\"id\":\"cut\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                        + "\"message\":{\"role\":\"assistant\",\"content\":\"Half an ans";
                response.setStatusCode(200).putHeader("content-type", "application/json")
                        .putHeader("content-length", Integer.toString(start.length() + 1024)).write(start);
                ctx.request().connection().close();
            }
            case "flood" -> flood(ctx);
            case "stall_body" -> {
                // the head and the first bytes of a longer body, then nothing until the client gives up
                String start = "{\"id\":\"stalled\",\"object\":\"chat.completion\",";
                response.setStatusCode(200).putHeader("content-type", "application/json")
                        .putHeader("content-length", Integer.toString(start.length() + 1024)).write(start);
            }
            default -> {
                return false;
            }
        }
        return true;
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

    /** Sends {@code answer}, with the key echoed into it and its headers when the fault says so. */
    void answer(RoutingContext ctx, Fault fault, SimulatedWire.Reply answer) {
        String key = fault.echoesKey() ? presentedKey(ctx) : null;
        if (key != null) {
            ctx.response().putHeader(ECHO_HEADER, key);
            if (answer.body() instanceof ObjectNode body) {
                echo(body, key);
            }
        }
        reply(ctx.response(), answer);
    }

    /** The key the call carried, in whichever header its dialect uses. */
    static String presentedKey(RoutingContext ctx) {
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
    void echo(ObjectNode body, String key) {
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
        for (String inner : List.of("message", "response")) {
            if (body.path(inner) instanceof ObjectNode carried) {
                echo(carried, key); // Anthropic's message_start and the Responses events carry the answer in a field
            }
        }
    }

    void reply(HttpServerResponse response, SimulatedWire.Reply reply) {
        reply.headers().forEach(response::putHeader);
        send(response, reply.status(), reply.body());
    }

    void send(HttpServerResponse response, int status, JsonNode body) {
        try {
            response.setStatusCode(status).putHeader("content-type", "application/json")
                    .end(Buffer.buffer(json.writeValueAsBytes(body)));
        } catch (Exception e) {
            response.setStatusCode(500).end();
        }
    }
}
