package dev.caravan.provider;

import java.time.Duration;

/**
 * A provider's circuit breaker thresholds, set explicitly rather than left to Resilience4j's defaults
 * (a 100-call window that would never open at modest traffic).
 *
 * @param failureRatePercent open when this share of the calls in the window failed
 * @param windowSize         how many recent calls the failure rate is measured over
 * @param minimumCalls       no decision before this many calls were seen
 * @param waitInOpen         how long the breaker stays open before letting probe calls through
 * @param halfOpenCalls      how many probe calls half-open lets through; all must succeed to close
 */
public record BreakerSettings(float failureRatePercent, int windowSize, int minimumCalls, Duration waitInOpen,
        int halfOpenCalls) {
}
