package dev.caravan.simulator;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The responses a simulated provider stored ({@code store} true, the API's default), for
 * {@code GET /v1/responses/{id}} and {@code previous_response_id}: the newest {@value #CAPACITY} per provider, the
 * oldest forgotten first, as a provider's own retention would forget them. Thread-safe.
 */
final class ResponseStore {

    static final int CAPACITY = 1000;

    private final Map<String, ObjectNode> responses = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ObjectNode> eldest) {
            return size() > CAPACITY;
        }
    };

    synchronized void put(ObjectNode response) {
        responses.put(response.get("id").asText(), response);
    }

    /** The stored response, or null when it was never stored here or is forgotten. */
    synchronized ObjectNode get(String id) {
        return responses.get(id);
    }

    synchronized int size() {
        return responses.size();
    }

    synchronized void clear() {
        responses.clear();
    }
}
