package dev.caravan.metrics;

/** Meter names and tag keys. Names are dot.case; tags are bounded (configured providers, models, classes). */
public final class Meters {

    public static final String REQUESTS = "caravan.requests";
    /** Requests served, by alias and the target that served them: how each alias's traffic is split. */
    public static final String SERVED = "caravan.served";
    public static final String ATTEMPTS = "caravan.attempts";
    public static final String FAILOVERS = "caravan.failovers";
    public static final String TARGET_LATENCY = "caravan.target.latency";
    public static final String PROVIDER_UP = "caravan.provider.up";
    public static final String REQUEST_LATENCY = "caravan.request.latency";
    public static final String TOKENS = "caravan.tokens";
    public static final String COST = "caravan.cost";
    public static final String STREAM_MALFORMED_EVENTS = "caravan.stream.malformed.events";
    public static final String STREAM_FIRST_CONTENT = "caravan.stream.first.token";
    /** Streams broken after their first content that went on on another target, by the providers at the seam. */
    public static final String STREAM_RESUMED = "caravan.stream.resumed";
    public static final String RECOVERY_PROBES = "caravan.recovery.probes";
    public static final String RECOVERY_PROBE_COST = "caravan.recovery.probe.cost";
    public static final String STATE_STORE_UP = "caravan.state.store.up";
    /** Log lines dropped because the asynchronous appender's queue was full (or the console failed). */
    public static final String LOG_DROPPED = "caravan.log.dropped";
    /** Event-loop turns that ran longer than caravan.http.loop-held-after. */
    public static final String LOOP_HELD = "caravan.http.loop.held";

    public static final String PROVIDER = "provider";
    public static final String MODEL = "model";
    public static final String OUTCOME = "outcome";
    public static final String FAILURE_CLASS = "failure_class";
    public static final String ALIAS = "alias";
    public static final String FROM = "from";
    public static final String TO = "to";
    public static final String DIRECTION = "direction";

    private Meters() {
    }
}
