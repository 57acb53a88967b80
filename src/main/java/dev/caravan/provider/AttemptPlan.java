package dev.caravan.provider;

import java.time.Duration;


/** The attempt the router has just dispatched: which target, with which of its keys, and how long it may take. */
public record AttemptPlan(Target target, int keyIndex, Duration timeout, long startedNanos) {
}
