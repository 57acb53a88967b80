package dev.caravan.config;

import java.nio.file.Path;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.ConfigurationError;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * Binds the {@code caravan.*} properties into {@link CaravanProperties} with Jackson databind: kebab-case keys
 * onto record components, unknown keys refused ({@code FAIL_ON_UNKNOWN_PROPERTIES}), numbers and booleans
 * converted and checked by Jackson, durations and lists by {@link SettingValues}.
 * <p>
 * Jackson rather than Camel's property binding: Camel binds onto beans with setters and reports an unknown
 * option without the list of known ones, while Jackson builds immutable records and says, for an unknown key,
 * which names were possible there, which is what the "did you mean" suggestion needs. Jackson's properties
 * mapper is not used either: it splits every key at each dot, and model names carry dots
 * ({@code caravan.context-window.meta-llama/Llama-3.2-3B-Instruct-Turbo}); the tree is built here instead, the
 * families keyed by model name taking the rest of the key as one name.
 */
public final class SettingsBinder {

    private static final String PREFIX = "caravan.";
    /** Families whose next segment is a free-form name (model, alias) that may contain dots. */
    private static final List<String> NAMED = List.of("caravan.model.", "caravan.context-window.",
            "caravan.capabilities.", "caravan.embedding.model.", "caravan.embedding.equivalent.",
            "caravan.embedding.max-input-tokens.", "caravan.embedding.max-request-tokens.");
    private static final String PRICE = "caravan.price.";
    private static final LevenshteinDistance DISTANCE = LevenshteinDistance.getDefaultInstance();

    private static final PropertyNamingStrategies.KebabCaseStrategy KEBAB =
            new PropertyNamingStrategies.KebabCaseStrategy();
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(KEBAB)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .addModule(new SimpleModule("caravan-settings")
                    .addDeserializer(Duration.class, new SettingValues.PositiveDuration())
                    .addDeserializer(String.class, new SettingValues.Plain())
                    .addDeserializer(Path.class, new SettingValues.Folder()))
            // a key written with no value is a key not set: its default applies (lists read it as empty)
            .withCoercionConfigDefaults(c -> c.setCoercion(CoercionInputShape.EmptyString, CoercionAction.AsNull))
            .build();

    private SettingsBinder() {
    }

    /**
     * The settings among {@code properties}; other keys are ignored. A blank value counts as not set, except
     * for a list, which it leaves empty.
     *
     * @throws ConfigurationError naming the first key that is unknown or whose value is not acceptable
     */
    public static CaravanProperties bind(Map<String, String> properties) {
        Map<String, String> given = new TreeMap<>();
        properties.forEach((key, value) -> {
            if (key.startsWith(PREFIX) && value != null) {
                given.put(key, value.trim());
            }
        });
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        given.forEach((key, value) -> put(root, key, path(key), value));
        try {
            return MAPPER.treeToValue(root, CaravanProperties.class);
        } catch (JsonMappingException e) {
            throw explain(e, given.keySet());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigurationError("caravan.*", e.getOriginalMessage());
        }
    }

    /**
     * Every key the settings have, the providers' keys for each of {@code providerIds}; the families keyed by a
     * model or alias name are not listed. An environment variable can set any of them, written in the file or not.
     */
    public static Set<String> keys(Collection<String> providerIds) {
        Set<String> keys = new TreeSet<>();
        keys(PREFIX, CaravanProperties.class, providerIds, keys);
        return keys;
    }

    private static void keys(String prefix, Class<?> type, Collection<String> providerIds, Set<String> keys) {
        for (RecordComponent component : type.getRecordComponents()) {
            String key = prefix + KEBAB.translate(component.getName());
            if (component.getType().isRecord()) {
                keys(key + ".", component.getType(), providerIds, keys);
            } else if (component.getType() == Map.class && component.getGenericType() instanceof ParameterizedType map
                    && map.getActualTypeArguments()[1] == ProviderProperties.class) {
                providerIds.forEach(id -> keys(key + "." + id + ".", ProviderProperties.class, providerIds, keys));
            } else if (component.getType() != Map.class) {
                keys.add(key);
            }
        }
    }

    /** The segments of {@code key} below {@code caravan.}: split at dots, a model or alias name kept whole. */
    static List<String> path(String key) {
        for (String family : NAMED) {
            if (key.startsWith(family) && key.length() > family.length()) {
                List<String> segments = new java.util.ArrayList<>(
                        List.of(family.substring(PREFIX.length(), family.length() - 1).split("\\.")));
                segments.add(key.substring(family.length()));
                return List.copyOf(segments);
            }
        }
        String rest = key.substring(PREFIX.length());
        if (key.startsWith(PRICE)) {
            // caravan.price.<provider>.<model>.<field>: the model is what lies between the first and the last dot
            String tail = key.substring(PRICE.length());
            int first = tail.indexOf('.');
            int last = tail.lastIndexOf('.');
            if (first > 0 && last > first + 1) {
                return List.of("price", tail.substring(0, first), tail.substring(first + 1, last),
                        tail.substring(last + 1));
            }
        }
        return List.of(rest.split("\\.", -1));
    }

    private static void put(ObjectNode root, String key, List<String> path, String value) {
        ObjectNode node = root;
        for (int i = 0; i < path.size() - 1; i++) {
            JsonNode child = node.get(path.get(i));
            if (child == null) {
                child = node.putObject(path.get(i));
            } else if (!child.isObject()) {
                throw new ConfigurationError(key, "is below " + PREFIX + String.join(".", path.subList(0, i + 1))
                        + ", which is one setting, not a group");
            }
            node = (ObjectNode) child;
        }
        String last = path.getLast();
        if (node.has(last)) {
            throw new ConfigurationError(key, "is a group of settings, not one setting: write a key below it");
        }
        node.put(last, value);
    }

    private static ConfigurationError explain(JsonMappingException e, Collection<String> keys) {
        String at = PREFIX + e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                : "[" + r.getIndex() + "]").collect(Collectors.joining("."));
        if (e instanceof UnrecognizedPropertyException unknown) {
            return unknownKey(at, unknown, keys);
        }
        SettingProblem problem = cause(e);
        if (problem != null) {
            return new ConfigurationError(problem.field() == null ? at : at + "." + problem.field(),
                    problem.getMessage());
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null
                && (mismatch.getTargetType().isRecord() || Map.class.isAssignableFrom(mismatch.getTargetType()))) {
            return new ConfigurationError(at, at.startsWith(PRICE) ? "write caravan.price.<provider>.<model>.input, "
                    + ".output or .cached-input" : "is a group of settings, not one setting: write a key below it");
        }
        if (e instanceof InvalidFormatException format) {
            Class<?> type = format.getTargetType();
            String value = "'" + format.getValue() + "'";
            String expected = type == Integer.class || type == Long.class || type == int.class
                    || type == long.class ? "is not a whole number"
                    : type == Boolean.class || type == boolean.class ? "is neither true nor false"
                    : type == Double.class || type == Float.class ? "is not a number"
                    : "is not a " + type.getSimpleName();
            return new ConfigurationError(at, value + " " + expected);
        }
        return new ConfigurationError(at, Optional.ofNullable(e.getOriginalMessage()).orElse("cannot be read")
                .lines().findFirst().orElse(""));
    }

    /** The whole key as written, and the known name nearest to its unknown part, if one is near enough. */
    private static ConfigurationError unknownKey(String path, UnrecognizedPropertyException unknown,
            Collection<String> keys) {
        String at = path.endsWith("." + unknown.getPropertyName()) ? path : path + "." + unknown.getPropertyName();
        String written = keys.stream().filter(k -> k.equals(at) || k.startsWith(at + ".")).findFirst().orElse(at);
        String parent = at.substring(0, at.length() - unknown.getPropertyName().length());
        String kind = parent.matches("caravan\\.provider\\.[^.]+\\.") ? "unknown provider setting"
                : "unknown setting";
        String nearest = null;
        // a typo or two in a short name, up to three in a long one: further away is another word, not a slip
        int best = Math.max(1, Math.min(3, (unknown.getPropertyName().length() + 1) / 3)) + 1;
        for (Object known : unknown.getKnownPropertyIds()) {
            int d = DISTANCE.apply(unknown.getPropertyName(), known.toString());
            if (d < best) {
                best = d;
                nearest = known.toString();
            }
        }
        return new ConfigurationError(written, nearest == null ? kind
                : kind + "; did you mean " + parent + nearest + written.substring(at.length()) + "?");
    }

    private static SettingProblem cause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SettingProblem problem) {
                return problem;
            }
        }
        return null;
    }
}
