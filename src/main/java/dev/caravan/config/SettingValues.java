package dev.caravan.config;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import dev.caravan.routing.Capability;
import dev.caravan.routing.RoutingPolicy;

/**
 * How the values of application.properties read as Java types where Jackson's own readers do not fit: short
 * durations, comma-separated lists, routing policies and capabilities by their labels, and numbers whose message
 * should say what they count. Each throws a {@link SettingProblem} quoting the value.
 */
final class SettingValues {

    private SettingValues() {
    }

    /** Reads a value from its text (already trimmed; blank values never reach a reader). */
    abstract static class Text<T> extends StdDeserializer<T> {

        Text(Class<?> type) {
            super(type);
        }

        abstract T read(String text);

        /** What a key written with no value stands for: not set, unless a reader says otherwise. */
        T blank() {
            return null;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                // a key that is a group of settings where one value was expected
                throw new SettingProblem(null, "is one setting, not a group: write no key below it");
            }
            String text = p.getText().trim();
            return text.isEmpty() ? blank() : read(text);
        }
    }

    /** Text as written, trimmed. */
    static final class Plain extends Text<String> {

        Plain() {
            super(String.class);
        }

        @Override
        String read(String text) {
            return text;
        }
    }

    /** A file system path. */
    static final class Folder extends Text<Path> {

        Folder() {
            super(Path.class);
        }

        @Override
        Path read(String text) {
            try {
                return Path.of(text);
            } catch (InvalidPathException e) {
                throw new SettingProblem(null, "'" + text + "' is not a path: " + e.getReason());
            }
        }
    }

    /** A duration longer than zero. */
    static final class PositiveDuration extends Text<Duration> {

        PositiveDuration() {
            super(Duration.class);
        }

        @Override
        Duration read(String text) {
            Duration d = Durations.parse(text);
            if (d.isNegative() || d.isZero()) {
                throw new SettingProblem(null, "must be longer than zero");
            }
            return d;
        }
    }

    /** {@code a, b, c}: the items in order, blanks dropped. */
    static final class CommaList extends Text<List<String>> {

        CommaList() {
            super(List.class);
        }

        @Override
        List<String> read(String text) {
            return items(text);
        }

        @Override
        List<String> blank() {
            return List.of();
        }
    }

    static final class Policy extends Text<RoutingPolicy> {

        Policy() {
            super(RoutingPolicy.class);
        }

        @Override
        RoutingPolicy read(String text) {
            return RoutingPolicy.parse(text).orElseThrow(() -> new SettingProblem(null, "'" + text
                    + "' is not one of " + Arrays.stream(RoutingPolicy.values()).map(RoutingPolicy::label)
                            .collect(Collectors.joining(", "))));
        }
    }

    static final class Policies extends Text<Set<RoutingPolicy>> {

        Policies() {
            super(Set.class);
        }

        @Override
        Set<RoutingPolicy> read(String text) {
            Set<RoutingPolicy> policies = EnumSet.noneOf(RoutingPolicy.class);
            for (String item : items(text)) {
                policies.add(RoutingPolicy.parse(item).orElseThrow(() -> new SettingProblem(null,
                        "'" + item + "' is not a routing policy")));
            }
            return Set.copyOf(policies);
        }

        @Override
        Set<RoutingPolicy> blank() {
            return Set.of();
        }
    }

    static final class Capabilities extends Text<Set<Capability>> {

        Capabilities() {
            super(Set.class);
        }

        @Override
        Set<Capability> read(String text) {
            Set<Capability> has = EnumSet.noneOf(Capability.class);
            for (String item : items(text)) {
                has.add(Capability.parse(item).orElseThrow(() -> new SettingProblem(null, "'" + item
                        + "' is not a capability; use tools, vision, json, reasoning and prefill")));
            }
            return Set.copyOf(has);
        }

        @Override
        Set<Capability> blank() {
            return Set.of();
        }
    }

    /** A share of calls in percent, above 0 and at most 100. */
    static final class Percentage extends Text<Float> {

        Percentage() {
            super(Float.class);
        }

        @Override
        Float read(String text) {
            float percent;
            try {
                percent = Float.parseFloat(text);
            } catch (NumberFormatException e) {
                throw new SettingProblem(null, "'" + text + "' is not a percentage");
            }
            if (!(percent > 0 && percent <= 100)) {
                throw new SettingProblem(null, "must be above 0 and at most 100");
            }
            return percent;
        }
    }

    /** A model's context window. */
    static final class TokenCount extends Text<Long> {

        TokenCount() {
            super(Long.class);
        }

        @Override
        Long blank() {
            return read("");
        }

        @Override
        Long read(String text) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new SettingProblem(null, "'" + text + "' is not a number of tokens");
            }
        }
    }

    static List<String> items(String text) {
        List<String> items = new ArrayList<>();
        for (String item : text.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return List.copyOf(items);
    }
}
