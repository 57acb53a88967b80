package dev.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The share of requests the hedger may double: the part of {@link Hedger} that needs no provider call. */
class HedgeBudgetTest {

    private static int allowed(Hedger.Budget budget, int asks) {
        int n = 0;
        for (int i = 0; i < asks; i++) {
            if (budget.allow()) {
                n++;
            }
        }
        return n;
    }

    @ParameterizedTest(name = "share {0} of {1} requests: {2} hedges")
    @CsvSource({
            "0.1, 0, 0",
            "0.1, 9, 0",
            "0.1, 10, 1",
            "0.1, 19, 1",
            "0.1, 20, 2",
            "0.25, 8, 2",
            "1.0, 3, 3",
            "0.0, 100, 0"})
    void neverMoreHedgesThanTheShareOfRequests(double share, int requests, int hedges) {
        Hedger.Budget budget = new Hedger.Budget(share);
        for (int i = 0; i < requests; i++) {
            budget.counted();
        }

        assertThat(allowed(budget, 50)).isEqualTo(hedges);
    }

    @Test
    void eachAllowedHedgeIsSpentAndNewRequestsEarnMore() {
        Hedger.Budget budget = new Hedger.Budget(0.5);
        budget.counted();
        assertThat(budget.allow()).as("half of one request").isFalse();
        budget.counted();
        assertThat(budget.allow()).isTrue();
        assertThat(budget.allow()).as("spent").isFalse();
        budget.counted();
        budget.counted();
        assertThat(budget.allow()).isTrue();
        assertThat(budget.allow()).isFalse();
    }

    @Test
    void concurrentAsksWithinTheBudgetAreAllGranted() throws Exception {
        // room for every ask: one counted by another thread meanwhile is no reason to refuse the next
        Hedger.Budget budget = new Hedger.Budget(1.0);
        for (int i = 0; i < 80_000; i++) {
            budget.counted();
        }
        AtomicInteger granted = new AtomicInteger();
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            List<Future<?>> asks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                asks.add(threads.submit(() -> granted.addAndGet(allowed(budget, 10_000))));
            }
            for (Future<?> ask : asks) {
                ask.get();
            }
        }

        assertThat(granted.get()).isEqualTo(80_000);
    }

    @Test
    void concurrentAsksAreGrantedExactlyTheBudget() throws Exception {
        Hedger.Budget budget = new Hedger.Budget(0.1);
        for (int i = 0; i < 1000; i++) {
            budget.counted();
        }
        AtomicInteger granted = new AtomicInteger();
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            List<Future<?>> asks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                asks.add(threads.submit(() -> granted.addAndGet(allowed(budget, 1000))));
            }
            for (Future<?> ask : asks) {
                ask.get();
            }
        }

        assertThat(granted.get()).isEqualTo(100);
    }
}
