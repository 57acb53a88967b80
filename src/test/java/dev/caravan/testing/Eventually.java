package dev.caravan.testing;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * A wait for what must come about, however slowly a busy machine gets round to it: an answer logged, a connection
 * given back, a counter moved. Its bound is no part of what a test asserts; it only stops a test whose awaited event
 * will never come, and so is far beyond any pause a loaded machine makes. What must <em>not</em> happen is shown by a
 * later event that proves the moment has passed, never by waiting out a bound.
 */
public final class Eventually {

    /** How long a test waits for what must come: reached, the thing is not coming. */
    public static final Duration PATIENCE = Duration.ofSeconds(60);

    private Eventually() {
    }

    /** An Awaitility wait bounded by {@link #PATIENCE}. */
    public static ConditionFactory eventually() {
        return Awaitility.await().atMost(PATIENCE);
    }

    /** As {@link #eventually()}, named {@code what} in the failure. */
    public static ConditionFactory eventually(String what) {
        return Awaitility.await(what).atMost(PATIENCE);
    }
}
