package dev.caravan.state;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stored responses in this process's memory: at most {@code maxEntries}, each for {@code ttl}. Records are kept in
 * the order they were written, which is also the order they expire in (one time to live for all), so both the bound
 * and the expiry drop from the head.
 */
public final class LocalResponseRecords implements ResponseRecords {

    private record Entry(String record, Instant expires) {
    }

    private final int maxEntries;
    private final Duration ttl;
    private final Clock clock;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

    public LocalResponseRecords(int maxEntries, Duration ttl, Clock clock) {
        this.maxEntries = maxEntries;
        this.ttl = ttl;
        this.clock = clock;
    }

    @Override
    public synchronized void put(String id, String record) {
        Instant now = clock.instant();
        entries.remove(id);
        entries.put(id, new Entry(record, now.plus(ttl)));
        Iterator<Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
        while (oldest.hasNext()) {
            Map.Entry<String, Entry> e = oldest.next();
            if (entries.size() > maxEntries || !e.getValue().expires().isAfter(now)) {
                oldest.remove();
            } else {
                break;
            }
        }
    }

    @Override
    public synchronized String get(String id) {
        Entry e = entries.get(id);
        if (e == null) {
            return null;
        }
        if (!e.expires().isAfter(clock.instant())) {
            entries.remove(id);
            return null;
        }
        return e.record();
    }

    @Override
    public synchronized boolean remove(String id) {
        Entry e = entries.remove(id);
        return e != null && e.expires().isAfter(clock.instant());
    }

    /** How many records are kept now, expired ones not yet dropped included. */
    public synchronized int size() {
        return entries.size();
    }

    @Override
    public synchronized void close() {
        entries.clear();
    }
}
