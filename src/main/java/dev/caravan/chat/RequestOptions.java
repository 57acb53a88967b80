package dev.caravan.chat;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a caller requires of one request's routing, beyond the model alias: set by {@code x-caravan-*} headers or by
 * a {@code caravan} object in the body (stripped before any provider sees the request); a header wins over the body.
 *
 * <pre>
 * x-caravan-policy: cost                 "caravan": {"policy": "cost",
 * x-caravan-max-cost: 0.002                          "max_cost": 0.002,
 * x-caravan-providers: openai, groq                  "providers": ["openai", "groq"],
 * x-caravan-exclude-providers: together              "exclude_providers": ["together"],
 * x-caravan-deadline: 20s                            "deadline": "20s",
 * x-caravan-hedge: true                              "hedge": true,
 * x-caravan-resume: true                             "resume": true}
 * </pre>
 *
 * @param policy            a routing policy label, or null for the configured one
 * @param maxCostUsd        the most this request may cost, estimated before each attempt, or null
 * @param providers         only these providers may serve; empty means any
 * @param excludedProviders these providers may not serve
 * @param deadline          all attempts together, or null for the configured deadline (never longer than it)
 * @param hedge             whether this request may be hedged (when hedging is enabled), or null for its policy's
 *                          default
 * @param resume            whether a stream broken after its first content goes on on the next candidate, or null
 *                          for the configured default ({@code caravan.streaming.resume})
 */
public record RequestOptions(String policy, Double maxCostUsd, Set<String> providers, Set<String> excludedProviders,
        Duration deadline, Boolean hedge, Boolean resume) {

    /** The body extension and the prefix of the headers. */
    public static final String EXTENSION = "caravan";

    public static final RequestOptions NONE = new RequestOptions(null, null, Set.of(), Set.of(), null, null, null);

    private static final Set<String> NAMES = Set.of("policy", "max_cost", "providers", "exclude_providers", "deadline",
            "hedge", "resume");

    public RequestOptions {
        providers = Set.copyOf(providers);
        excludedProviders = Set.copyOf(excludedProviders);
    }

    /** Options without a say on resuming: the configured default applies. */
    public RequestOptions(String policy, Double maxCostUsd, Set<String> providers, Set<String> excludedProviders,
            Duration deadline, Boolean hedge) {
        this(policy, maxCostUsd, providers, excludedProviders, deadline, hedge, null);
    }

    /** True when {@code provider} may serve this request. */
    public boolean allows(String provider) {
        return (providers.isEmpty() || providers.contains(provider)) && !excludedProviders.contains(provider);
    }

    /**
     * Reads the options of a request.
     *
     * @param extension the body's {@code caravan} object, or null
     * @param headers   the request's headers (any case), or an empty map where the ingress has none
     * @param policies  the policy labels a caller may name
     * @param known     the enabled provider ids a caller may name
     * @throws InvalidRequest naming the header or field at fault
     */
    public static RequestOptions read(JsonNode extension, Map<String, String> headers, Set<String> policies,
            Set<String> known) {
        if (extension != null && !extension.isNull() && !extension.isObject()) {
            throw InvalidRequest.badRequest(EXTENSION, "'caravan' must be an object of routing options.");
        }
        JsonNode body = extension == null || extension.isNull() ? null : extension;
        if (body == null && !anyOptionHeader(headers)) {
            return NONE; // nearly every request: nothing to read, no sets to build
        }
        if (body != null) {
            for (var names = body.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!NAMES.contains(name)) {
                    throw InvalidRequest.badRequest("caravan." + name, "'caravan." + name + "' is not a routing "
                            + "option; known: policy, max_cost, providers, exclude_providers, deadline, hedge, "
                            + "resume.");
                }
            }
        }
        String policy = text(headers, "x-caravan-policy", body, "policy");
        if (policy != null) {
            policy = policy.trim().toLowerCase(Locale.ROOT);
            if (!policies.contains(policy)) {
                throw invalid(headers, "x-caravan-policy", "policy", "'" + policy + "' is not a routing policy; use one "
                        + "of " + new TreeSet<>(policies) + ".");
            }
        }
        Double maxCost = null;
        String cost = text(headers, "x-caravan-max-cost", body, "max_cost");
        if (cost != null) {
            try {
                maxCost = Double.parseDouble(cost.trim());
            } catch (NumberFormatException e) {
                maxCost = Double.NaN;
            }
            if (maxCost.isNaN() || maxCost.isInfinite() || maxCost <= 0) {
                throw invalid(headers, "x-caravan-max-cost", "max_cost", "'" + cost + "' is not a cost in US dollars "
                        + "greater than 0.");
            }
        }
        Set<String> allowed = names(headers, "x-caravan-providers", body, "providers", known);
        Set<String> excluded = names(headers, "x-caravan-exclude-providers", body, "exclude_providers", known);
        Duration deadline = null;
        String d = text(headers, "x-caravan-deadline", body, "deadline");
        if (d != null) {
            deadline = duration(d.trim());
            if (deadline == null || deadline.isZero() || deadline.isNegative()) {
                throw invalid(headers, "x-caravan-deadline", "deadline", "'" + d + "' is not a deadline; write it like "
                        + "500ms, 20s or 2m.");
            }
        }
        Boolean hedge = flag(headers, "x-caravan-hedge", body, "hedge");
        Boolean resume = flag(headers, "x-caravan-resume", body, "resume");
        if (policy == null && maxCost == null && allowed.isEmpty() && excluded.isEmpty() && deadline == null
                && hedge == null && resume == null) {
            return NONE;
        }
        return new RequestOptions(policy, maxCost, allowed, excluded, deadline, hedge, resume);
    }

    private static Boolean flag(Map<String, String> headers, String header, JsonNode body, String field) {
        String value = text(headers, header, body, field);
        if (value == null) {
            return null;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw invalid(headers, header, field, "'" + value + "' is neither true nor false.");
        };
    }

    private static String text(Map<String, String> headers, String header, JsonNode body, String field) {
        String value = header(headers, header);
        if (value != null) {
            return value;
        }
        if (body == null || !body.has(field) || body.get(field).isNull()) {
            return null;
        }
        JsonNode node = body.get(field);
        if (!node.isValueNode()) {
            throw InvalidRequest.badRequest("caravan." + field, "'caravan." + field + "' must be a single value.");
        }
        return node.asText();
    }

    private static Set<String> names(Map<String, String> headers, String header, JsonNode body, String field,
            Set<String> known) {
        Set<String> names = new LinkedHashSet<>();
        String value = header(headers, header);
        if (value != null) {
            for (String name : value.split(",")) {
                if (!name.isBlank()) {
                    names.add(name.trim());
                }
            }
        } else if (body != null && body.has(field) && !body.get(field).isNull()) {
            JsonNode list = body.get(field);
            if (!list.isArray()) {
                throw InvalidRequest.badRequest("caravan." + field, "'caravan." + field + "' must be an array of "
                        + "provider names.");
            }
            list.forEach(n -> names.add(n.asText()));
        }
        for (String name : names) {
            if (!known.contains(name)) {
                throw invalid(headers, header, field, "'" + name + "' is not an enabled provider; known: "
                        + new TreeSet<>(known) + ".");
            }
        }
        return names;
    }

    /** Whether any header is named like an option (those {@link #header} looks for among them). */
    private static boolean anyOptionHeader(Map<String, String> headers) {
        for (String name : headers.keySet()) {
            if (name != null && name.regionMatches(true, 0, "x-caravan-", 0, 10)) {
                return true;
            }
        }
        return false;
    }

    private static String header(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && e.getValue() != null && !e.getValue().isBlank()) {
                return e.getValue();
            }
        }
        return null;
    }

    private static InvalidRequest invalid(Map<String, String> headers, String header, String field, String message) {
        String param = header(headers, header) != null ? header : "caravan." + field;
        return InvalidRequest.badRequest(param, "'" + param + "': " + message);
    }

    private static Duration duration(String value) {
        var m = Pattern.compile("(\\d{1,9})\\s*(ms|s|m)?").matcher(value);
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "ms" : m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofMillis(n);
        };
    }
}
