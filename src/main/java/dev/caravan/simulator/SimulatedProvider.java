package dev.caravan.simulator;

import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpServerResponse;

/** One simulated provider: its current fault and how often it was called. Thread-safe. */
public final class SimulatedProvider {

    private final String name;
    private final String dialect;
    private final String requiredKey;
    private final AtomicReference<Fault> fault = new AtomicReference<>(Fault.none());
    private final AtomicInteger remaining = new AtomicInteger(-1);
    /** When the fault ends by itself ({@link System#nanoTime}); Long.MAX_VALUE: when healed or used up. */
    private final AtomicLong until = new AtomicLong(Long.MAX_VALUE);
    private final LongAdder chatCalls = new LongAdder();
    private final LongAdder http2ChatCalls = new LongAdder();
    private final LongAdder modelCalls = new LongAdder();
    private final LongAdder abandonedStreams = new LongAdder();
    private final LongAdder streamPieces = new LongAdder();
    private final LongAdder abandonedCalls = new LongAdder();
    /** Calls a {@code hold} fault keeps, each with what answers it once released. */
    private final Queue<Held> held = new ConcurrentLinkedQueue<>();
    private final AtomicReference<Map<String, List<String>>> lastChatHeaders = new AtomicReference<>(Map.of());
    private final AtomicReference<JsonNode> lastBody = new AtomicReference<>();
    private final AtomicReference<byte[]> lastRawBody = new AtomicReference<>();
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
    private final ResponseStore responses = new ResponseStore();
    private volatile Set<String> apis;
    private volatile int embeddingDimensions;

    SimulatedProvider(String name, String dialect, String requiredKey) {
        this.name = name;
        this.dialect = dialect;
        this.requiredKey = requiredKey;
        this.apis = Api.defaults(dialect);
    }

    /** The APIs this provider serves; every other path of its dialect answers the provider's 404. */
    public Set<String> apis() {
        return apis;
    }

    /**
     * Serves only {@code served} of its dialect's APIs ({@link Api}): an OpenAI-compatible server without the
     * Responses API, say. Returns this provider.
     */
    public SimulatedProvider serving(String... served) {
        Set<String> asked = Set.of(served);
        if (!Api.defaults(dialect).containsAll(asked)) {
            throw new IllegalArgumentException("a " + dialect + " provider serves only " + Api.defaults(dialect)
                    + ", not " + asked);
        }
        apis = asked;
        return this;
    }

    public boolean serves(String api) {
        return apis.contains(api);
    }

    /** The size of the vectors it embeds; 0 (the default) for each model's own. */
    public int embeddingDimensions() {
        return embeddingDimensions;
    }

    /** Embeds in vectors of {@code dimensions} components whatever the model. Returns this provider. */
    public SimulatedProvider embeddingDimensions(int dimensions) {
        if (dimensions < 0) {
            throw new IllegalArgumentException("embedding dimensions must be positive, or 0 for the model's own");
        }
        embeddingDimensions = dimensions;
        return this;
    }

    ResponseStore responses() {
        return responses;
    }

    /** How many responses it stores now (bounded by {@link ResponseStore#CAPACITY}). */
    public int storedResponses() {
        return responses.size();
    }

    void count(String api, JsonNode body) {
        calls.computeIfAbsent(api, a -> new LongAdder()).increment();
        lastBody.set(body);
    }

    /** Calls of {@code api} ({@link Api}) so far, refused and failed ones included. */
    public long calls(String api) {
        LongAdder count = calls.get(api);
        return count == null ? 0 : count.sum();
    }

    void recordRawBody(byte[] body) {
        lastRawBody.set(body);
    }

    /** The bytes of the last call's body exactly as they arrived (null before the first, or when it had none). */
    public byte[] lastRawBody() {
        return lastRawBody.get();
    }

    /** The body of the last call of any API as it arrived (null before the first, or when it was not JSON). */
    public JsonNode lastBody() {
        return lastBody.get();
    }

    public String name() {
        return name;
    }

    /** The wire format it speaks. */
    public String dialect() {
        return dialect;
    }

    /** The key callers must send, or null when any bearer token is accepted. */
    String requiredKey() {
        return requiredKey;
    }

    public void fail(Fault f) {
        remaining.set(f.times() == null ? -1 : f.times());
        until.set(Long.MAX_VALUE);
        fault.set(f);
    }

    /** Misbehaves as {@code f} for {@code millis} from now, then heals by itself: an outage that ends. */
    public void failFor(Fault f, long millis) {
        fail(f);
        until.set(System.nanoTime() + millis * 1_000_000);
    }

    /** Heals it; the calls it holds are answered. */
    public void heal() {
        fail(Fault.none());
        release();
    }

    private record Held(HttpServerResponse response, Runnable resume) {
    }

    void hold(HttpServerResponse response, Runnable resume) {
        held.add(new Held(response, resume));
    }

    /** Calls kept by a {@code hold} fault whose callers still wait. */
    public int heldCalls() {
        return (int) held.stream().filter(h -> !h.response().closed()).count();
    }

    /**
     * Answers every call a {@code hold} fault keeps (as the rest of that fault says: its latency, its status), those
     * whose callers left excepted. Returns how many were answered.
     */
    public int release() {
        int released = 0;
        for (Held h = held.poll(); h != null; h = held.poll()) {
            if (!h.response().closed()) {
                h.resume().run();
                released++;
            }
        }
        return released;
    }

    public Fault fault() {
        return fault.get();
    }

    /** The fault to apply to this call of {@code endpoint}, consuming one of its {@code times}. */
    Fault faultFor(String endpoint) {
        Fault f = fault.get();
        if (System.nanoTime() - until.get() >= 0 && until.get() != Long.MAX_VALUE) {
            return Fault.none();
        }
        if (!f.applies(endpoint) || f.equals(Fault.none())) {
            return Fault.none();
        }
        if (f.times() != null) {
            int left = remaining.getAndDecrement();
            if (left <= 0) {
                return Fault.none();
            }
        }
        return f;
    }

    void countChat(boolean http2) {
        chatCalls.increment();
        if (http2) {
            http2ChatCalls.increment();
        }
    }

    /** Chat calls that arrived over HTTP/2 (h2c): a gateway's provider client shows here what it speaks. */
    public long http2ChatCalls() {
        return http2ChatCalls.sum();
    }

    void recordChatHeaders(Map<String, List<String>> headers) {
        lastChatHeaders.set(headers);
    }

    /**
     * The headers of the last chat call as they arrived, names in lower case: what a gateway really sent, so a
     * test can prove what it did not forward. Empty before the first call.
     */
    public Map<String, List<String>> lastChatHeaders() {
        return lastChatHeaders.get();
    }

    void countAbandoned() {
        abandonedStreams.increment();
    }

    /** Streams whose connection closed before their end: cut by the caller, or by a stream fault. */
    public long abandonedStreams() {
        return abandonedStreams.sum();
    }

    void countStreamPiece() {
        streamPieces.increment();
    }

    /**
     * Content pieces written to streams so far: a client that reads this when an event arrives learns whether
     * the event left before the provider's stream was done, with no clock involved.
     */
    public long streamPieces() {
        return streamPieces.sum();
    }

    void countAbandonedCall() {
        abandonedCalls.increment();
    }

    /**
     * Chat calls whose connection closed before their answer was sent (streams: before it began): the caller hung
     * up or gave up waiting.
     */
    public long abandonedCalls() {
        return abandonedCalls.sum();
    }

    void countModels() {
        modelCalls.increment();
    }

    public long chatCalls() {
        return chatCalls.sum();
    }

    public long modelCalls() {
        return modelCalls.sum();
    }

    public void resetCounts() {
        calls.clear();
        lastBody.set(null);
        lastRawBody.set(null);
        chatCalls.reset();
        http2ChatCalls.reset();
        modelCalls.reset();
        abandonedStreams.reset();
        streamPieces.reset();
        abandonedCalls.reset();
    }
}
