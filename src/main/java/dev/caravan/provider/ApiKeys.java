package dev.caravan.provider;

import java.util.List;

/**
 * A provider's API keys, in the order they are used. Never printed: {@link #toString()} shows only how many
 * there are, so a key cannot reach a log line through a settings object.
 */
public final class ApiKeys {

    private final List<String> keys;

    public ApiKeys(List<String> keys) {
        this.keys = keys.stream().map(String::trim).filter(k -> !k.isEmpty()).toList();
    }

    public static ApiKeys parse(String commaSeparated) {
        return new ApiKeys(commaSeparated == null ? List.of() : List.of(commaSeparated.split(",")));
    }

    public int size() {
        return keys.size();
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    public String get(int index) {
        return keys.get(index);
    }

    public List<String> all() {
        return keys;
    }

    @Override
    public String toString() {
        return "ApiKeys[" + keys.size() + " key(s)]";
    }
}
