package dev.caravan.provider;

import java.util.function.LongSupplier;

import dev.caravan.chat.Caller;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.StreamSink;
import dev.caravan.provider.stream.StreamWriter;

/**
 * One attempt as the provider route is given it, under the one exchange property {@link #PROPERTY}: the router's
 * plan (target, key, timeout, start), the request it serves, where a streamed answer goes, who waits for an answer
 * read whole, and the handle that can cut it. Whoever dispatches the attempt creates it and keeps the handle, so
 * that it can cut the attempt while it runs (the hedger cancels the losing half).
 *
 * <p>A property rather than a variable: a hedge runs each of its calls on a copy of the exchange that carries
 * properties.
 *
 * @param sink   where the answer goes as it arrives; null when it is read whole
 * @param caller the client waiting for an answer read whole, cut loose when it hangs up; null when the ingress
 *               cannot tell
 * @param writer the writer a streamed answer goes through: the client's protocol's own, or one the request has
 *               for all its attempts (a resumable stream); null for OpenAI Chat Completions on {@code sink}
 */
public record ProviderAttempt(AttemptPlan plan, ChatRequest request, StreamSink sink, Caller caller,
        AttemptHandle handle, StreamWriter writer) {

    /** The exchange property holding the attempt the provider route is to make. */
    public static final String PROPERTY = "caravan.attempt";

    /** The attempt {@code plan}, its handle's limits measured from the plan's start. */
    public static ProviderAttempt of(AttemptPlan plan, ChatRequest request, StreamSink sink, Caller caller) {
        return of(plan, request, sink, caller, null);
    }

    /** The attempt {@code plan}, whose stream goes through {@code writer} (null: the client's own writer). */
    public static ProviderAttempt of(AttemptPlan plan, ChatRequest request, StreamSink sink, Caller caller,
            StreamWriter writer) {
        return of(plan, request, sink, caller, writer, System::nanoTime);
    }

    /**
     * @param ticker the nanosecond clock the plan's start was read from (the router's): the handle's first-content
     *               and idle limits are measured by it
     */
    public static ProviderAttempt of(AttemptPlan plan, ChatRequest request, StreamSink sink, Caller caller,
            StreamWriter writer, LongSupplier ticker) {
        return new ProviderAttempt(plan, request, sink, caller, new AttemptHandle(ticker, plan.startedNanos()),
                writer);
    }

    /** True when the answer is relayed to the client as it arrives. */
    public boolean streamed() {
        return sink != null;
    }
}
