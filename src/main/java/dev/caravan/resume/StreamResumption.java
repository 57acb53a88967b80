package dev.caravan.resume;

import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.metrics.Meters;
import dev.caravan.provider.ProviderCalls;
import dev.caravan.provider.ProviderCatalog;
import dev.caravan.provider.SecretRedactor;
import dev.caravan.provider.Target;
import dev.caravan.provider.stream.OpenAiSseWriter;
import dev.caravan.provider.stream.StreamWriter;
import dev.caravan.routing.Capability;
import dev.caravan.routing.RequestContext;
import dev.caravan.routing.RoutingSettings;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;

/**
 * Decides, once a request is planned, whether its stream may be resumed on another target should it break after its
 * first content, and if so gives the request the {@link ResumableWriter} all its attempts write through. A stream may
 * be resumed when resuming is on (the request's {@code resume} option, else {@code caravan.streaming.resume}) and the
 * request asks for neither several answers nor JSON.
 */
public final class StreamResumption {

    private final boolean enabled;
    private final ObjectMapper json;
    private final SecretRedactor redactor;
    private final ProviderCatalog catalog;
    private final RoutingSettings settings;
    private final MeterRegistry meters;

    /** @param enabled {@code caravan.streaming.resume}: whether a request that does not say is resumed */
    public StreamResumption(boolean enabled, ObjectMapper json, SecretRedactor redactor, ProviderCatalog catalog,
            RoutingSettings settings, MeterRegistry meters) {
        this.enabled = enabled;
        this.json = json;
        this.redactor = redactor;
        this.catalog = catalog;
        this.settings = settings;
        this.meters = meters;
    }

    /** Arms the planned request on {@code exchange} with a resumable writer, when its stream may be resumed. */
    public void arm(Exchange exchange) {
        RequestContext context = RequestContext.on(exchange);
        Boolean asked = context.options().resume();
        ChatRequest request = context.request();
        if (!context.streamed() || !(asked != null ? asked : enabled) || Continuation.whyNot(request) != null) {
            return;
        }
        StreamWriter out = context.writer(request);
        if (out == null) {
            out = new OpenAiSseWriter(json, redactor, context.sink(), ProviderCalls.includeUsage(request));
        }
        context.withResume(new ResumableWriter(out, context.sink(), this::takesPrefill, this::counted))
                .putOn(exchange);
    }

    /**
     * Whether {@code target} continues an assistant prefill: every Anthropic model does; an OpenAI-compatible or
     * Gemini model only when declared with the {@code prefill} capability.
     */
    boolean takesPrefill(Target target) {
        if ("anthropic".equals(catalog.provider(target.provider()).dialect())) {
            return true;
        }
        Set<Capability> declared = settings.capabilities().get(target.model());
        return declared != null && declared.contains(Capability.PREFILL);
    }

    private void counted(JoinedStream.Resumed seam) {
        meters.counter(Meters.STREAM_RESUMED, Meters.FROM, provider(seam.from()), Meters.TO, provider(seam.to()))
                .increment();
    }

    private static String provider(String target) {
        int colon = target.indexOf(':');
        return colon < 0 ? target : target.substring(0, colon);
    }
}
