package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ErrorBody;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /<provider>/_faults} (GET shows, POST or PUT sets, DELETE heals), {@code POST /<provider>/_faults/release}
 * (answers the calls a {@code hold} fault keeps) and {@code /_providers}: how an operator or a test breaks a
 * simulated provider at run time.
 */
final class FaultControls {

    private static final Logger LOG = LoggerFactory.getLogger(FaultControls.class);

    private final ObjectMapper json;
    private final Misbehaviour out;
    private final Function<String, String> baseUrl;

    FaultControls(ObjectMapper json, Misbehaviour out, Function<String, String> baseUrl) {
        this.json = json;
        this.out = out;
        this.baseUrl = baseUrl;
    }

    void show(RoutingContext ctx, SimulatedProvider provider) {
        out.send(ctx.response(), 200, state(provider));
    }

    void set(RoutingContext ctx, SimulatedProvider provider) {
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
            out.send(ctx.response(), 200, state(provider));
        } catch (Exception e) {
            out.send(ctx.response(), 400, ErrorBody.of(json, "Not a fault: " + e.getMessage(),
                    "invalid_request_error", null, null));
        }
    }

    void clear(RoutingContext ctx, SimulatedProvider provider) {
        provider.heal();
        LOG.info("simulated provider {} is healthy again", provider.name());
        out.send(ctx.response(), 200, state(provider));
    }

    void release(RoutingContext ctx, SimulatedProvider provider) {
        int released = provider.release();
        LOG.info("simulated provider {} released {} held calls", provider.name(), released);
        ObjectNode state = state(provider);
        state.put("released", released);
        out.send(ctx.response(), 200, state);
    }

    void list(RoutingContext ctx, Collection<SimulatedProvider> providers) {
        List<ObjectNode> all = new ArrayList<>();
        providers.forEach(p -> all.add(state(p)));
        out.send(ctx.response(), 200, json.valueToTree(all));
    }

    private ObjectNode state(SimulatedProvider provider) {
        ObjectNode state = json.createObjectNode();
        state.put("provider", provider.name());
        state.put("dialect", provider.dialect());
        state.put("base_url", baseUrl.apply(provider.name()));
        state.set("apis", json.valueToTree(provider.apis().stream().sorted().toList()));
        state.set("fault", json.valueToTree(provider.fault()));
        state.put("chat_calls", provider.chatCalls());
        state.put("http2_chat_calls", provider.http2ChatCalls());
        state.put("model_calls", provider.modelCalls());
        state.put("held_calls", provider.heldCalls());
        return state;
    }
}
