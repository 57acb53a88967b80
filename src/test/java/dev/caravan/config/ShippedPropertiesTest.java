package dev.caravan.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.caravan.GatewaySettings;
import dev.caravan.provider.ProviderSettings;
import org.junit.jupiter.api.Test;

/**
 * The shipped application.properties against the bound settings: it binds, every key the gateway knows is
 * documented in it, and every default it shows in a comment is the default the gateway applies.
 */
class ShippedPropertiesTest {

    private static final Path FILE = Path.of("application.properties");
    private static final Pattern ACTIVE = Pattern.compile("^(caravan\\.\\S+)\\s*=\\s*(.*)$");
    private static final Pattern COMMENTED = Pattern.compile("^#(caravan\\.\\S+)\\s*=\\s*(.*)$");
    private static final Pattern ENV = Pattern.compile("\\{\\{env:[A-Z0-9_]+(?::([^}]*))?}}");
    private static final PropertyNamingStrategies.KebabCaseStrategy KEBAB =
            new PropertyNamingStrategies.KebabCaseStrategy();

    /** The file's caravan.* keys with their values as the gateway resolves them when no variable is set. */
    private static Map<String, String> shipped(Pattern lines) throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String line : Files.readAllLines(FILE)) {
            Matcher m = lines.matcher(line);
            if (m.matches()) {
                Matcher env = ENV.matcher(m.group(2).trim());
                keys.put(m.group(1), env.replaceAll(r -> r.group(1) == null ? "" : r.group(1)));
            }
        }
        return keys;
    }

    @Test
    void theShippedFileBindsToThreeProvidersAndTwoAliases() throws IOException {
        GatewaySettings settings = GatewaySettings.from(shipped(ACTIVE));

        assertThat(settings.providers()).extracting(ProviderSettings::id)
                .containsExactly("openai", "anthropic", "gemini");
        assertThat(settings.aliases()).containsOnlyKeys("fast", "smart");
    }

    @Test
    void everyDefaultTheFileShowsIsTheDefaultTheGatewayApplies() throws IOException {
        Map<String, String> active = shipped(ACTIVE);
        GatewaySettings plain = GatewaySettings.from(active);
        Map<String, String> everything = new LinkedHashMap<>(active);
        everything.putAll(shipped(COMMENTED));
        // every commented line is a key the gateway takes, with a value it accepts (the examples together)
        GatewaySettings.from(everything);
        List<String> checked = new ArrayList<>();
        shipped(COMMENTED).forEach((key, value) -> {
            String provider = key.startsWith("caravan.provider.") ? key.split("\\.")[2] : null;
            if (key.startsWith("caravan.price.") || provider != null && !active.containsKey(
                    "caravan.provider." + provider + ".dialect")) {
                return; // an example of a setting without a default, not a default
            }
            Map<String, String> uncommented = new LinkedHashMap<>(active);
            uncommented.put(key, value);
            GatewaySettings set = GatewaySettings.from(uncommented);
            if (provider != null) {
                assertThat(set.providers()).as(key).extracting(ProviderSettings::options)
                        .isEqualTo(plain.providers().stream().map(ProviderSettings::options).toList());
            } else {
                assertThat(set.bound()).as(key).isEqualTo(plain.bound());
            }
            checked.add(key);
        });

        assertThat(checked).contains("caravan.health.interval", "caravan.file.poll-interval",
                "caravan.provider.anthropic.anthropic-version").hasSizeGreaterThan(60);
    }

    @Test
    void everyKeyTheGatewayKnowsIsDocumentedInTheFile() throws IOException {
        String text = Files.readString(FILE);
        List<String> undocumented = new ArrayList<>();
        for (String key : keys("caravan.", CaravanProperties.class, false)) {
            String pattern = Pattern.quote(key).replace("<id>", "\\E[^.\\s]+\\Q") + (key.endsWith(".") ? ""
                    : "(?![\\w-])");
            if (!Pattern.compile(pattern).matcher(text).find()) {
                undocumented.add(key);
            }
        }

        assertThat(undocumented).isEmpty();
    }

    /**
     * The keys below {@code prefix} that {@code type} binds; a family keyed by name stands as its prefix, and a
     * group within a named entry (a provider's breaker) as {@code <group>.<setting>}.
     */
    private static List<String> keys(String prefix, Class<?> type, boolean named) {
        List<String> keys = new ArrayList<>();
        for (RecordComponent component : type.getRecordComponents()) {
            String key = prefix + KEBAB.translate(component.getName());
            Type generic = component.getGenericType();
            if (component.getType().isRecord()) {
                if (named) {
                    keys.add(key + ".<setting>");
                } else {
                    keys.addAll(keys(key + ".", component.getType(), false));
                }
            } else if (Map.class.isAssignableFrom(component.getType())
                    && generic instanceof ParameterizedType map
                    && map.getActualTypeArguments()[1] instanceof Class<?> value && value.isRecord()) {
                keys.addAll(keys(key + ".<id>.", value, true));
            } else if (Map.class.isAssignableFrom(component.getType())) {
                keys.add(key + ".");
            } else {
                keys.add(key);
            }
        }
        return keys;
    }
}
