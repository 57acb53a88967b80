package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import dev.caravan.passthrough.ClientApi;
import dev.caravan.provider.BreakerSettings;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.provider.Target;
import dev.caravan.routing.RoutingPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class GatewaySettingsTest {

    /** The smallest useful configuration: two providers, two aliases, every other setting left to its default. */
    private static Map<String, String> minimal() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("caravan.providers", "openai, groq");
        p.put("caravan.provider.openai.dialect", "openai");
        p.put("caravan.provider.openai.base-url", "https://api.openai.com/v1");
        p.put("caravan.provider.openai.api-keys", "sk-first, sk-second");
        p.put("caravan.provider.groq.dialect", "openai");
        p.put("caravan.provider.groq.base-url", "https://api.groq.com/openai/v1");
        p.put("caravan.model.fast", "groq:llama-3.1-8b-instant, openai:gpt-4o-mini");
        p.put("caravan.model.smart", "openai:gpt-4o");
        return p;
    }

    /** {@link #minimal()} with {@code changes} applied; a null value removes the key. */
    private static Map<String, String> minimalWith(String... keyValue) {
        Map<String, String> p = minimal();
        for (int i = 0; i < keyValue.length; i += 2) {
            if (keyValue[i + 1] == null) {
                p.remove(keyValue[i]);
            } else {
                p.put(keyValue[i], keyValue[i + 1]);
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- a valid configuration

    @Test
    void aMinimalConfigurationParsesWithProvidersInOrderAndAliasesToTargets() {
        GatewaySettings settings = GatewaySettings.from(minimal());

        assertThat(settings.providers()).extracting(ProviderSettings::id).containsExactly("openai", "groq");
        assertThat(settings.providers()).extracting(ProviderSettings::priority).containsExactly(0, 1);
        ProviderSettings openai = settings.providers().get(0);
        assertThat(openai.dialect()).isEqualTo("openai");
        assertThat(openai.baseUrl()).isEqualTo(URI.create("https://api.openai.com/v1"));
        assertThat(openai.keys().all()).containsExactly("sk-first", "sk-second");
        assertThat(openai.simulated()).isFalse();
        assertThat(settings.providers().get(1).keys().isEmpty()).isTrue();

        assertThat(settings.aliases()).containsOnlyKeys("fast", "smart");
        assertThat(settings.aliases().get("fast")).containsExactly(
                new Target("groq", "llama-3.1-8b-instant"), new Target("openai", "gpt-4o-mini"));
        assertThat(settings.aliases().get("smart")).containsExactly(new Target("openai", "gpt-4o"));
        assertThat(settings.anyKey()).isTrue();
    }

    @Test
    void defaultsApplyToEverySettingLeftOut() {
        GatewaySettings settings = GatewaySettings.from(minimal());

        for (ProviderSettings p : settings.providers()) {
            assertThat(p.timeout()).as(p.id()).isEqualTo(Duration.ofSeconds(30));
            assertThat(p.connectTimeout()).as(p.id()).isEqualTo(Duration.ofSeconds(5));
            assertThat(p.maxConnections()).as(p.id()).isEqualTo(4000);
            assertThat(p.breaker()).as(p.id()).isEqualTo(new BreakerSettings(50f, 20, 10, Duration.ofSeconds(30), 3));
        }
        assertThat(settings.routing().defaultPolicy()).isEqualTo(RoutingPolicy.BALANCED);
        assertThat(settings.routing().deadline()).isEqualTo(Duration.ofSeconds(120));
        assertThat(settings.routing().minAttemptTime()).isEqualTo(Duration.ofMillis(250));
        assertThat(settings.routing().retryBackoff()).isEqualTo(Duration.ofMillis(200));
        assertThat(settings.routing().rateLimitCooldown()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.routing().authFailureCooldown()).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings.routing().contextWindows()).isEmpty();
        assertThat(settings.healthInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.healthTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.healthFailureThreshold()).isEqualTo(3);
        assertThat(settings.latencyWindow()).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings.maxBodyBytes()).isEqualTo(4L * 1024 * 1024);
        assertThat(settings.simulator()).isEqualTo(GatewaySettings.SimulatorMode.AUTO);
        assertThat(settings.simulatorHost()).isEqualTo("127.0.0.1");
        assertThat(settings.simulatorPort()).isEqualTo(8090);
    }

    @Test
    void globalDefaultsApplyToEveryProviderAndAProviderSettingOverridesThem() {
        GatewaySettings settings = GatewaySettings.from(minimalWith(
                "caravan.defaults.timeout", "45s",
                "caravan.defaults.max-connections", "64",
                "caravan.breaker.failure-rate-threshold", "25",
                "caravan.breaker.wait-in-open", "1m",
                "caravan.provider.groq.timeout", "10s",
                "caravan.provider.groq.breaker.minimum-calls", "4",
                "caravan.routing.policy", " Cost ",
                "caravan.context-window.gpt-4o", "128000",
                "caravan.simulator.enabled", "false"));

        ProviderSettings openai = settings.providers().get(0);
        ProviderSettings groq = settings.providers().get(1);
        assertThat(openai.timeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(groq.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(openai.maxConnections()).isEqualTo(64);
        assertThat(groq.maxConnections()).isEqualTo(64);
        assertThat(openai.breaker()).isEqualTo(new BreakerSettings(25f, 20, 10, Duration.ofMinutes(1), 3));
        assertThat(groq.breaker()).isEqualTo(new BreakerSettings(25f, 20, 4, Duration.ofMinutes(1), 3));
        assertThat(settings.routing().defaultPolicy()).isEqualTo(RoutingPolicy.COST);
        assertThat(settings.routing().contextWindow("gpt-4o")).isEqualTo(128_000L);
        assertThat(settings.simulator()).isEqualTo(GatewaySettings.SimulatorMode.OFF);
    }

    @Test
    void aTargetOnAConfiguredButDisabledProviderIsDroppedWhenAnotherRemains() {
        GatewaySettings settings = GatewaySettings.from(minimalWith(
                "caravan.provider.mistral.dialect", "openai",
                "caravan.provider.mistral.base-url", "https://api.mistral.ai/v1",
                "caravan.model.fast", "mistral:mistral-small-latest, groq:llama-3.1-8b-instant"));

        assertThat(settings.providers()).extracting(ProviderSettings::id).containsExactly("openai", "groq");
        assertThat(settings.aliases().get("fast")).containsExactly(new Target("groq", "llama-3.1-8b-instant"));
    }

    @ParameterizedTest
    @CsvSource({"auto, AUTO", "AUTO, AUTO", "true, ON", "on, ON", "false, OFF", "off, OFF"})
    void simulatorModes(String value, GatewaySettings.SimulatorMode expected) {
        assertThat(GatewaySettings.from(minimalWith("caravan.simulator.enabled", value)).simulator())
                .isEqualTo(expected);
    }

    // ---------------------------------------------------------------- invalid configurations

    static Stream<Arguments> invalid() {
        return Stream.of(
                // why, changes to the minimal map, the key the message must name, what it must also say
                Arguments.of("misspelt global key", new String[] {"caravan.routing.polciy", "cost"},
                        "caravan.routing.polciy", "did you mean caravan.routing.policy"),
                Arguments.of("misspelt global key", new String[] {"caravan.helth.interval", "10s"},
                        "caravan.helth.interval", "did you mean caravan.health.interval"),
                Arguments.of("unknown global key far from any known", new String[] {"caravan.telemetry.otlp", "x"},
                        "caravan.telemetry.otlp", "unknown setting"),
                Arguments.of("unknown provider field", new String[] {"caravan.provider.openai.base_url", "x"},
                        "caravan.provider.openai.base_url", "unknown provider setting"),
                Arguments.of("unknown provider field", new String[] {"caravan.provider.groq.api-key", "gsk_x"},
                        "caravan.provider.groq.api-key", "api-keys"),
                Arguments.of("unknown dialect", new String[] {"caravan.provider.groq.dialect", "cohere"},
                        "caravan.provider.groq.dialect", "'cohere' is not one of"),
                Arguments.of("missing dialect", new String[] {"caravan.provider.groq.dialect", null},
                        "caravan.provider.groq.dialect", "required"),
                Arguments.of("missing base-url", new String[] {"caravan.provider.openai.base-url", null},
                        "caravan.provider.openai.base-url", "required"),
                Arguments.of("non-URL base-url", new String[] {"caravan.provider.openai.base-url", "not a url"},
                        "caravan.provider.openai.base-url", "'not a url' is not a URL"),
                Arguments.of("base-url without scheme",
                        new String[] {"caravan.provider.openai.base-url", "api.openai.com/v1"},
                        "caravan.provider.openai.base-url", "is not an http(s) URL"),
                Arguments.of("base-url of another scheme",
                        new String[] {"caravan.provider.openai.base-url", "ftp://api.openai.com/v1"},
                        "caravan.provider.openai.base-url", "is not an http(s) URL"),
                Arguments.of("base-url with a query string",
                        new String[] {"caravan.provider.openai.base-url",
                                "https://example.openai.azure.com/openai?api-version=2024-10-21"},
                        "caravan.provider.openai.base-url", "query"),
                Arguments.of("base-url with credentials",
                        new String[] {"caravan.provider.openai.base-url", "https://user:secret@api.openai.com/v1"},
                        "caravan.provider.openai.base-url", "credentials"),
                Arguments.of("duration without unit", new String[] {"caravan.provider.openai.timeout", "120"},
                        "caravan.provider.openai.timeout", "'120' is not a duration"),
                Arguments.of("duration without unit", new String[] {"caravan.request.deadline", "120"},
                        "caravan.request.deadline", "is not a duration"),
                Arguments.of("global duration without unit", new String[] {"caravan.defaults.timeout", "30"},
                        "caravan.defaults.timeout", "is not a duration"),
                Arguments.of("zero duration", new String[] {"caravan.provider.groq.timeout", "0s"},
                        "caravan.provider.groq.timeout", "longer than zero"),
                Arguments.of("zero duration", new String[] {"caravan.defaults.timeout", "0ms"},
                        "caravan.defaults.timeout", "longer than zero"),
                Arguments.of("zero duration", new String[] {"caravan.breaker.wait-in-open", "PT0S"},
                        "caravan.breaker.wait-in-open", "longer than zero"),
                Arguments.of("negative duration", new String[] {"caravan.health.interval", "PT-5S"},
                        "caravan.health.interval", "longer than zero"),
                Arguments.of("non-number max-connections",
                        new String[] {"caravan.provider.openai.max-connections", "lots"},
                        "caravan.provider.openai.max-connections", "'lots' is not a whole number"),
                Arguments.of("zero max-connections", new String[] {"caravan.defaults.max-connections", "0"},
                        "caravan.defaults.max-connections", "at least 1"),
                Arguments.of("client idle timeout within the deadline",
                        new String[] {"caravan.http.idle-timeout", "60s"},
                        "caravan.http.idle-timeout", "longer than caravan.request.deadline"),
                Arguments.of("zero client connections", new String[] {"caravan.http.max-connections", "0"},
                        "caravan.http.max-connections", "at least 1"),
                Arguments.of("client head timeout without unit", new String[] {"caravan.http.head-timeout", "10"},
                        "caravan.http.head-timeout", "is not a duration"),
                Arguments.of("failure-rate-threshold 0", new String[] {"caravan.breaker.failure-rate-threshold", "0"},
                        "caravan.breaker.failure-rate-threshold", "above 0 and at most 100"),
                Arguments.of("failure-rate-threshold 150",
                        new String[] {"caravan.breaker.failure-rate-threshold", "150"},
                        "caravan.breaker.failure-rate-threshold", "above 0 and at most 100"),
                Arguments.of("provider failure-rate-threshold 150",
                        new String[] {"caravan.provider.groq.breaker.failure-rate-threshold", "150"},
                        "caravan.provider.groq.breaker.failure-rate-threshold", "above 0 and at most 100"),
                Arguments.of("failure-rate-threshold not a number",
                        new String[] {"caravan.breaker.failure-rate-threshold", "half"},
                        "caravan.breaker.failure-rate-threshold", "not a percentage"),
                Arguments.of("zero sliding window", new String[] {"caravan.breaker.sliding-window-size", "0"},
                        "caravan.breaker.sliding-window-size", "at least 1"),
                Arguments.of("alias naming an unknown provider",
                        new String[] {"caravan.model.smart", "anthropic:claude-sonnet-4-5"},
                        "caravan.model.smart", "'anthropic' is not a configured provider"),
                Arguments.of("alias whose targets are all on disabled providers",
                        new String[] {"caravan.provider.mistral.dialect", "openai",
                                "caravan.provider.mistral.base-url", "https://api.mistral.ai/v1",
                                "caravan.model.eu", "mistral:mistral-large-latest"},
                        "caravan.model.eu", "none of its targets is an enabled provider"),
                Arguments.of("alias target without upstream model", new String[] {"caravan.model.smart", "gpt-4o"},
                        "caravan.model.smart", "<provider>:<upstream-model>"),
                Arguments.of("alias without targets", new String[] {"caravan.model.smart", " "},
                        "caravan.model.smart", "none of its targets"),
                Arguments.of("no alias at all", new String[] {"caravan.model.fast", null, "caravan.model.smart", null},
                        "caravan.model.<alias>", "at least one model alias"),
                Arguments.of("empty caravan.providers", new String[] {"caravan.providers", ""},
                        "caravan.providers", "at least one provider"),
                Arguments.of("caravan.providers of commas only", new String[] {"caravan.providers", " , ,"},
                        "caravan.providers", "at least one provider"),
                Arguments.of("caravan.providers missing", new String[] {"caravan.providers", null},
                        "caravan.providers", "at least one provider"),
                Arguments.of("provider id with capitals", new String[] {"caravan.providers", "openai,Groq"},
                        "caravan.providers", "'Groq' is not a provider id"),
                Arguments.of("bad simulator mode", new String[] {"caravan.simulator.enabled", "maybe"},
                        "caravan.simulator.enabled", "'maybe' is not one of auto, true, false"),
                Arguments.of("bad routing policy", new String[] {"caravan.routing.policy", "cheapest"},
                        "caravan.routing.policy", "'cheapest' is not one of"),
                Arguments.of("context window not a number", new String[] {"caravan.context-window.gpt-4o", "128k"},
                        "caravan.context-window.gpt-4o", "not a number of tokens"),
                Arguments.of("max body size below 1 KiB", new String[] {"caravan.http.max-body-size", "100"},
                        "caravan.http.max-body-size", "at least 1024"),
                Arguments.of("body budget below one whole body", new String[] {
                        "caravan.http.max-body-size", "2097152", "caravan.http.max-inflight-body-bytes", "1048576"},
                        "caravan.http.max-inflight-body-bytes", "at least max-body-size (2097152), or 0"),
                Arguments.of("apis naming no protocol", new String[] {"caravan.provider.groq.apis", "chat, messages"},
                        "caravan.provider.groq.apis", "'chat' is not a client protocol"),
                Arguments.of("apis the dialect does not serve", new String[] {"caravan.provider.groq.apis",
                        "chat-completions, gemini"}, "caravan.provider.groq.apis",
                        "'gemini' is not served by a provider of the openai dialect; it may serve [chat-completions, "
                                + "messages, responses]"),
                Arguments.of("apis empty", new String[] {"caravan.provider.groq.apis", " , "},
                        "caravan.provider.groq.apis", "is empty"));
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("invalid")
    void anInvalidSettingStopsTheStartNamingTheKey(String why, String[] changes, String key, String says) {
        ConfigurationError error = catchThrowableOfType(ConfigurationError.class,
                () -> GatewaySettings.from(minimalWith(changes)));

        assertThat(error).as(why).isNotNull();
        assertThat(error.getMessage()).startsWith("Invalid configuration: " + key + ": ").contains(says);
    }

    @Test
    void theBodyBudgetHoldsAtLeastOneWholeBodyOrIsOff() {
        assertThat(GatewaySettings.from(minimalWith("caravan.http.max-body-size", "2097152",
                "caravan.http.max-inflight-body-bytes", "2097152")).bound().http().maxInflightBodyBytes())
                .isEqualTo(2097152L);
        assertThat(GatewaySettings.from(minimalWith("caravan.http.max-inflight-body-bytes", "0")).bound().http()
                .maxInflightBodyBytes()).isZero();
    }

    @Test
    void eachProviderServesItsDialectsOwnProtocolsUnlessToldOtherwise() {
        GatewaySettings defaults = GatewaySettings.from(minimal());
        GatewaySettings told = GatewaySettings.from(minimalWith("caravan.provider.openai.apis", "none",
                "caravan.provider.groq.apis", "Chat-Completions, responses, messages"));

        assertThat(defaults.providers()).extracting(ProviderSettings::apis).containsExactly(
                Set.of(ClientApi.CHAT_COMPLETIONS, ClientApi.RESPONSES), Set.of(ClientApi.CHAT_COMPLETIONS));
        assertThat(told.providers()).extracting(ProviderSettings::apis).containsExactly(
                Set.of(), Set.of(ClientApi.CHAT_COMPLETIONS, ClientApi.RESPONSES, ClientApi.MESSAGES));
    }

    @Test
    void providersOnHttpsSpeakHttp2AndOnHttpOnlyWhenTold() {
        GatewaySettings defaults = GatewaySettings.from(minimalWith("caravan.provider.groq.base-url",
                "http://127.0.0.1:8000/v1"));
        GatewaySettings told = GatewaySettings.from(minimalWith("caravan.provider.groq.base-url",
                "http://127.0.0.1:8000/v1", "caravan.provider.groq.http2", "true",
                "caravan.provider.openai.http2", "false"));

        assertThat(defaults.providers()).extracting(ProviderSettings::http2).containsExactly(true, false);
        assertThat(told.providers()).extracting(ProviderSettings::http2).containsExactly(false, true);
    }

    @Test
    void aMisspeltKeyFarFromAnyKnownKeyGetsNoSuggestion() {
        assertThatThrownBy(() -> GatewaySettings.from(minimalWith("caravan.telemetry.otlp", "x")))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageNotContaining("did you mean");
    }

    @Test
    void keysOutsideCaravanAreNotCaravansBusiness() {
        GatewaySettings settings = GatewaySettings.from(minimalWith("camel.main.name", "caravan",
                "caravan.context-window.llama-3.1-8b-instant", "131072"));

        assertThat(settings.routing().contextWindow("llama-3.1-8b-instant")).isEqualTo(131_072L);
        assertThat(settings.routing().contextWindow("unknown-model")).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "-NaN"})
    void aFailureRateThresholdOfNaNIsRejected(String value) {
        assertThatThrownBy(() -> GatewaySettings.from(minimalWith("caravan.breaker.failure-rate-threshold", value)))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageContaining("caravan.breaker.failure-rate-threshold");
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999999s", "9999999999999999h"})
    void aDurationTooLargeToRepresentIsAConfigurationError(String value) {
        assertThatThrownBy(() -> GatewaySettings.from(minimalWith("caravan.request.deadline", value)))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageContaining("caravan.request.deadline");
    }

    // ---------------------------------------------------------------- parseDuration

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "500ms, PT0.5S",
            "30s, PT30S",
            "2m, PT2M",
            "1h, PT1H",
            "PT30S, PT30S",
            "PT1M30S, PT1M30S",
            "'  45s  ', PT45S",
            "'10 s', PT10S",
            "0s, PT0S",
            "1500ms, PT1.5S",
            "90m, PT1H30M"})
    void parsesDurations(String value, Duration expected) {
        assertThat(GatewaySettings.parseDuration("caravan.some.key", value)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"120", "30sec", "1.5s", "30S", "-5s", "5 minutes", "", "abc", "1d"})
    void rejectsWhatIsNotADurationNamingTheKey(String value) {
        assertThatThrownBy(() -> GatewaySettings.parseDuration("caravan.request.deadline", value))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageStartingWith("Invalid configuration: caravan.request.deadline: ")
                .hasMessageContaining("'" + value + "' is not a duration");
    }

    @Test
    void aProviderListedTwiceIsRefused() {
        Map<String, String> twice = minimal();
        twice.put("caravan.providers", twice.get("caravan.providers") + ", " + twice.get("caravan.providers").split(",")[0].trim());

        assertThatThrownBy(() -> GatewaySettings.from(twice))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageContaining("caravan.providers")
                .hasMessageContaining("listed twice");
    }
}
