package dev.caravan.passthrough;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatRequestReader;
import dev.caravan.chat.InvalidRequest;
import dev.caravan.ingress.protocol.Inbound;
import dev.caravan.ingress.protocol.ProtocolReader;
import dev.caravan.provider.ProviderCatalog;

/**
 * Reads a Messages request some target of which serves Messages natively, so that nothing the client sent need fit
 * the canonical model: a top-level field the reader refuses because no translation could carry it (a new API field,
 * a feature that runs on Anthropic's servers) is set aside for the canonical reading only, and travels in the
 * passed-through request untouched. A malformed field the translation reads is refused as always. The request then
 * needs what only an untranslated call carries ({@code Capability.AS_SENT}): routing passes over every target that
 * would translate it, and refuses it with a 400 {@code unsupported_feature} naming the fields when none is left, so a
 * field is never dropped silently. Where no target of the alias serves Messages the reader's refusal stands.
 */
public final class PassThroughOnly {

    /**
     * The top-level fields the Messages translation reads (MessagesRequests): a refusal naming one of them is a
     * malformed request, answered as such; a refusal naming any other is a field no translation carries.
     */
    private static final Set<String> TRANSLATED = Set.of("model", "max_tokens", "messages", "system",
            "stop_sequences", "temperature", "top_p", "top_k", "tools", "tool_choice", "metadata", "stream", "thinking",
            "service_tier", "caravan");
    private static final int MOST_SET_ASIDE = 16;
    /** The codes the Gemini and Responses readers refuse a field with when no translation carries it. */
    private static final Set<String> UNTRANSLATABLE = Set.of("unsupported_field", "unsupported_parameter");

    private final ProviderCatalog catalog;
    private final ObjectMapper json;
    private final ChatRequestReader limits;

    /** @param limits reads a body under the JSON limits every request meets (size, depth, duplicate keys, NaN) */
    public PassThroughOnly(ProviderCatalog catalog, ObjectMapper json, ChatRequestReader limits) {
        this.catalog = catalog;
        this.json = json;
        this.limits = limits;
    }

    /** Whether any target of {@code alias} is on a provider serving {@code api}. */
    public boolean servedNatively(String alias, ClientApi api) {
        List<dev.caravan.provider.Target> targets = catalog.aliases().get(alias);
        return targets != null && targets.stream()
                .anyMatch(target -> catalog.provider(target.provider()).apis().contains(api));
    }

    /**
     * A reading, and the top-level fields set aside for it: those only a passed-through request carries.
     */
    public record Lenient(ProtocolReader.Reading reading, Set<String> setAside) {
    }

    /**
     * The reading of {@code inbound}; when the reader refuses a top-level field and some target of the request's
     * alias serves {@code api}, the reading of the request without it (and without each further field so refused).
     *
     * @throws InvalidRequest the reader's refusal that stands (a malformed field), when the request cannot be read
     */
    public Lenient read(ProtocolReader reader, Inbound inbound, ClientApi api) {
        try {
            return new Lenient(reader.read(inbound), Set.of());
        } catch (InvalidRequest refused) {
            ObjectNode body = lenientCandidate(inbound, api, refused);
            if (body == null) {
                throw refused;
            }
            Set<String> setAside = new LinkedHashSet<>();
            InvalidRequest last = refused;
            while (setAside.size() < MOST_SET_ASIDE && last.param() != null && body.has(last.param())
                    && !TRANSLATED.contains(last.param())) {
                setAside.add(last.param());
                body.remove(last.param());
                try {
                    return new Lenient(reader.read(new Inbound(bytes(body), inbound.headers(), inbound.path(),
                            inbound.query())), Set.copyOf(setAside));
                } catch (InvalidRequest again) {
                    last = again;
                }
            }
            throw last; // what stands once the fields only a pass-through carries are set aside
        }
    }

    /** A reading of a request read as a tree, and the fields set aside for it: those only a pass-through carries. */
    public record TreeReading<R>(R reading, Set<String> setAside) {
    }

    /**
     * The reading of {@code body} (a Gemini or Responses request, already held to the JSON limits) by {@code reader};
     * when the reader refuses a field for having no counterpart in a translation (its refusal's code is
     * {@code unsupported_field} or {@code unsupported_parameter}) and some target of {@code alias} serves
     * {@code api}, the reading of a copy without it, and without each further field so refused. The client's body
     * is not changed: the fields travel in the passed-through request.
     *
     * @param passes false when this request is never passed through (a stored Responses turn, a Gemini count or
     *               JSON-array stream): the reader's refusal stands
     * @throws InvalidRequest the refusal that stands
     */
    public <R> TreeReading<R> read(JsonNode body, String alias, ClientApi api, boolean passes,
            Function<JsonNode, R> reader) {
        try {
            return new TreeReading<>(reader.apply(body), Set.of());
        } catch (InvalidRequest refused) {
            if (!passes || !untranslatable(refused) || !(body instanceof ObjectNode object) || alias == null
                    || !servedNatively(alias, api)) {
                throw refused;
            }
            ObjectNode copy = object.deepCopy();
            Set<String> setAside = new LinkedHashSet<>();
            InvalidRequest last = refused;
            while (setAside.size() < MOST_SET_ASIDE && untranslatable(last) && RequestPaths.remove(copy, last.param())) {
                setAside.add(last.param());
                try {
                    return new TreeReading<>(reader.apply(copy), Set.copyOf(setAside));
                } catch (InvalidRequest again) {
                    last = again;
                }
            }
            throw last;
        }
    }

    private static boolean untranslatable(InvalidRequest refused) {
        return refused.status() == 400 && refused.param() != null && UNTRANSLATABLE.contains(refused.code());
    }

    private ObjectNode lenientCandidate(Inbound inbound, ClientApi api, InvalidRequest refused) {
        // Chat Completions keeps unknown fields anyway, so what its reader refuses is malformed; Responses and Gemini
        // are read elsewhere
        if (api != ClientApi.MESSAGES || refused.status() != 400 || refused.param() == null
                || inbound.body() == null) {
            return null;
        }
        JsonNode tree;
        try {
            // a field refused for breaking a JSON limit (too deep, sent twice, NaN) is not one to set aside: the
            // client's bytes go out as sent, so they meet the same limits as a translated request
            tree = limits.readTree(inbound.body());
        } catch (InvalidRequest beyondLimits) {
            return null;
        }
        if (!(tree instanceof ObjectNode body) || !body.path("model").isTextual()
                || !servedNatively(body.get("model").asText(), api)) {
            return null;
        }
        return body;
    }

    private byte[] bytes(JsonNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("a request could not be written as JSON", e);
        }
    }
}
