package dev.caravan;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.ProviderSettings;
import org.apache.camel.spi.RouteTemplateParameterSource;

/**
 * Instantiates the route templates once per configured provider: {@code provider-<id>} from the
 * {@code provider-call} template, {@code probe-<id>} from {@code provider-probe} and {@code recover-<id>} from
 * {@code recovery-probe}, and {@code embed-<id>} from {@code embedding-call} for each provider serving an
 * embedding alias. Adding a provider is
 * configuration, not a new route.
 */
final class ProviderRoutes implements RouteTemplateParameterSource {

    private final Map<String, Map<String, Object>> routes = new LinkedHashMap<>();

    /** @param probeTimeout how long a health or recovery probe may take ({@code caravan.health.timeout}) */
    ProviderRoutes(ProviderCatalog catalog, Duration probeTimeout) {
        catalog.embeddingAliases().values().stream().flatMap(java.util.List::stream).map(t -> t.provider())
                .distinct().forEach(id -> routes.put("embed-" + id, Map.of("providerId", id,
                        TEMPLATE_ID, "embedding-call")));
        for (ProviderSettings p : catalog.providers()) {
            // the provider call's HTTP settings are its client's (ProviderHttp); the probes' are their endpoints'
            Map<String, Object> common = Map.of(
                    "providerId", p.id(),
                    "baseUrl", p.baseUrl().toString(),
                    "connectTimeoutMillis", p.connectTimeout().toMillis(),
                    "timeoutMillis", p.timeout().toMillis(),
                    "maxConnections", p.maxConnections(),
                    "probeTimeoutMillis", probeTimeout.toMillis());
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("providerId", p.id());
            call.put(TEMPLATE_ID, "provider-call");
            routes.put("provider-" + p.id(), call);
            if (!p.keys().isEmpty()) {
                Map<String, Object> probe = new LinkedHashMap<>(common);
                probe.put(TEMPLATE_ID, "provider-probe");
                routes.put("probe-" + p.id(), probe);
                Map<String, Object> recovery = new LinkedHashMap<>(common);
                recovery.put(TEMPLATE_ID, "recovery-probe");
                routes.put("recover-" + p.id(), recovery);
            }
        }
    }

    @Override
    public Map<String, Object> parameters(String routeId) {
        return routes.get(routeId);
    }

    @Override
    public Set<String> routeIds() {
        return new LinkedHashSet<>(routes.keySet());
    }
}
