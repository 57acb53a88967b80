package dev.caravan.console;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The last {@code capacity} events, oldest dropped first; thread-safe. Memory stays bounded however busy it gets. */
final class EventRing<E> {

    private final ArrayDeque<E> events;
    private final int capacity;

    EventRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.events = new ArrayDeque<>(capacity);
    }

    synchronized void add(E event) {
        if (events.size() == capacity) {
            events.removeFirst();
        }
        events.addLast(event);
    }

    /** Newest first. */
    synchronized List<E> newestFirst() {
        List<E> copy = new ArrayList<>(events);
        return copy.reversed();
    }

    /** Oldest first. */
    synchronized List<E> oldestFirst() {
        return new ArrayList<>(events);
    }
}
