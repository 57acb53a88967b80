package dev.caravan.state;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The store of a replica that shares nothing: the same rules as Redis, in this process's memory. */
public final class LocalStateStore implements StateStore {

    private record Entry(long order, String value, Instant expires) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Clock clock;

    public LocalStateStore(Clock clock) {
        this.clock = clock;
    }

    @Override
    public List<String> exchange(List<Write> writes, List<String> keys) {
        Instant now = clock.instant();
        for (Write w : writes) {
            entries.compute(w.key(), (k, cur) -> cur != null && cur.expires().isAfter(now) && cur.order() > w.order()
                    ? cur : new Entry(w.order(), w.value(), now.plus(w.ttl())));
        }
        List<String> values = new ArrayList<>(keys.size());
        for (String key : keys) {
            Entry e = live(key, now);
            values.add(e == null ? null : e.value());
        }
        return values;
    }

    @Override
    public boolean lease(String key, String owner, Duration ttl) {
        Instant now = clock.instant();
        Entry held = entries.compute(key, (k, cur) -> cur == null || !cur.expires().isAfter(now)
                || cur.value().equals(owner) ? new Entry(0, owner, now.plus(ttl)) : cur);
        return held.value().equals(owner);
    }

    private Entry live(String key, Instant now) {
        Entry e = entries.get(key);
        if (e != null && !e.expires().isAfter(now)) {
            entries.remove(key, e);
            return null;
        }
        return e;
    }

    @Override
    public void close() {
        entries.clear();
    }
}
