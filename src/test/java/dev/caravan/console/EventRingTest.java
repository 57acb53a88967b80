package dev.caravan.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class EventRingTest {

    @Test
    void keepsOnlyTheNewestEvents() {
        EventRing<Integer> ring = new EventRing<>(3);
        IntStream.rangeClosed(1, 5).forEach(ring::add);
        assertThat(ring.newestFirst()).containsExactly(5, 4, 3);
        assertThat(ring.oldestFirst()).containsExactly(3, 4, 5);
    }

    @Test
    void holdsFewerThanItsCapacityAsTheyCame() {
        EventRing<String> ring = new EventRing<>(10);
        ring.add("a");
        ring.add("b");
        assertThat(ring.newestFirst()).containsExactly("b", "a");
    }

    @Test
    void refusesAnEmptyCapacity() {
        assertThatThrownBy(() -> new EventRing<>(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
