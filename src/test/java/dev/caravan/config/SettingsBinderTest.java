package dev.caravan.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import dev.caravan.ConfigurationError;
import dev.caravan.GatewaySettings;
import dev.caravan.provider.DialectOptions;
import dev.caravan.provider.ProviderSettings;
import dev.caravan.routing.Capability;
import dev.caravan.routing.RoutingPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SettingsBinderTest {

    private static Map<String, String> map(String... keyValue) {
        Map<String, String> p = new LinkedHashMap<>();
        for (int i = 0; i < keyValue.length; i += 2) {
            p.put(keyValue[i], keyValue[i + 1]);
        }
        return p;
    }

    /** One enabled provider per dialect and an alias over them, plus {@code more}. */
    private static Map<String, String> gateway(String... more) {
        Map<String, String> p = map(
                "caravan.providers", "azure, claude, vertex",
                "caravan.provider.azure.dialect", "openai",
                "caravan.provider.azure.base-url", "https://example.openai.azure.com/openai/deployments/gpt-4o",
                "caravan.provider.claude.dialect", "anthropic",
                "caravan.provider.claude.base-url", "https://api.anthropic.com/v1",
                "caravan.provider.vertex.dialect", "gemini",
                "caravan.provider.vertex.base-url", "https://us-central1-aiplatform.googleapis.com/v1",
                "caravan.model.smart", "azure:gpt-4o, claude:claude-sonnet-4-5, vertex:gemini-2.5-pro");
        p.putAll(map(more));
        return p;
    }

    private static ConfigurationError error(Map<String, String> properties) {
        return catchThrowableOfType(ConfigurationError.class, () -> GatewaySettings.from(properties));
    }

    // ---------------------------------------------------------------- every family bound

    @Test
    void everyGroupOfKeysIsBoundToItsRecord() {
        CaravanProperties p = SettingsBinder.bind(map(
                "caravan.http.port", "8081", "caravan.http.max-body-size", "2048", "caravan.http.head-timeout", "3s",
                "caravan.auth.keys", "client-a", "caravan.auth.failure-cooldown", "2m",
                "caravan.request.deadline", "90s", "caravan.request.max-json-depth", "32",
                "caravan.provider-answer.max-size", "65536",
                "caravan.defaults.timeout", "20s", "caravan.defaults.max-connections", "16",
                "caravan.streaming.first-token-factor", "2.5", "caravan.streaming.first-token-min", "250ms",
                "caravan.routing.policy", "Cost", "caravan.retry.backoff", "50ms",
                "caravan.rate-limit.default-cooldown", "7s", "caravan.rate-limit.wait-up-to", "1s",
                "caravan.latency.window", "2m", "caravan.estimate.exact-chars", "1000",
                "caravan.estimate.heavy-concurrency", "2",
                "caravan.hedging.enabled", "true", "caravan.hedging.budget", "0.1", "caravan.hedging.policies", "speed",
                "caravan.breaker.minimum-calls", "4", "caravan.breaker.recovery-probe-interval", "2s",
                "caravan.health.interval", "1h", "caravan.health.failure-threshold", "5",
                "caravan.log.content", "true",
                "caravan.jms.enabled", "false", "caravan.jms.request-queue", "in.q", "caravan.jms.concurrency", "8",
                "caravan.jms.max-wait", "1h",
                "caravan.file.inbox", "/tmp/in", "caravan.file.poll-interval", "250ms",
                "caravan.default-model", "smart",
                "caravan.simulator.enabled", "on", "caravan.simulator.port", "0",
                "caravan.console.events", "7", "caravan.console.allowed-hosts", "ops.example, console.example"));

        assertThat(p.http().port()).isEqualTo(8081);
        assertThat(p.http().maxBodySize()).isEqualTo(2048L);
        assertThat(p.http().headTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(p.auth().keys()).isEqualTo("client-a");
        assertThat(p.auth().failureCooldown()).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.request().deadline()).isEqualTo(Duration.ofSeconds(90));
        assertThat(p.request().maxJsonDepth()).isEqualTo(32);
        assertThat(p.providerAnswer().maxSize()).isEqualTo(65536);
        assertThat(p.defaults().timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(p.defaults().maxConnections()).isEqualTo(16);
        assertThat(p.streaming().firstTokenFactor()).isEqualTo(2.5);
        assertThat(p.streaming().firstTokenMin()).isEqualTo(Duration.ofMillis(250));
        assertThat(p.routing().policy()).isEqualTo(RoutingPolicy.COST);
        assertThat(p.retry().backoff()).isEqualTo(Duration.ofMillis(50));
        assertThat(p.rateLimit().defaultCooldown()).isEqualTo(Duration.ofSeconds(7));
        assertThat(p.rateLimit().waitUpTo()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.latency().window()).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.estimate().exactChars()).isEqualTo(1000);
        assertThat(p.estimate().heavyConcurrency()).isEqualTo(2);
        assertThat(p.hedging()).isEqualTo(new CaravanProperties.Hedging(true, 0.1, Set.of(RoutingPolicy.SPEED)));
        assertThat(p.breaker().minimumCalls()).isEqualTo(4);
        assertThat(p.breaker().recoveryProbeInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.health().interval()).isEqualTo(Duration.ofHours(1));
        assertThat(p.health().failureThreshold()).isEqualTo(5);
        assertThat(p.log().content()).isTrue();
        assertThat(p.jms().enabled()).isFalse();
        assertThat(p.jms().requestQueue()).isEqualTo("in.q");
        assertThat(p.jms().concurrency()).isEqualTo(8);
        assertThat(p.jms().maxWait()).isEqualTo(Duration.ofHours(1));
        assertThat(p.file().inbox()).isEqualTo(Path.of("/tmp/in"));
        assertThat(p.file().pollInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(p.defaultModel()).isEqualTo("smart");
        assertThat(p.simulator().enabled()).isEqualTo("on");
        assertThat(p.simulator().port()).isZero();
        assertThat(p.console().events()).isEqualTo(7);
        assertThat(p.console().allowedHosts()).containsExactly("ops.example", "console.example");
    }

    @Test
    void modelNamesWithDotsAndSlashesStayWholeInEveryFamilyKeyedByModel() {
        CaravanProperties p = SettingsBinder.bind(map(
                "caravan.model.llama-3.3", "together:meta-llama/Llama-3.3-70B-Instruct-Turbo, groq:llama-3.3-70b",
                "caravan.context-window.meta-llama/Llama-3.2-3B-Instruct-Turbo", "131072",
                "caravan.capabilities.gpt-4.1", "tools, json, reasoning",
                "caravan.price.openai.gpt-4.1.input", "2.00",
                "caravan.price.openai.gpt-4.1.cached-input", "0.50"));

        assertThat(p.model()).containsOnly(Map.entry("llama-3.3",
                List.of("together:meta-llama/Llama-3.3-70B-Instruct-Turbo", "groq:llama-3.3-70b")));
        assertThat(p.contextWindow()).containsOnly(Map.entry("meta-llama/Llama-3.2-3B-Instruct-Turbo", 131_072L));
        assertThat(p.capabilities()).containsOnly(Map.entry("gpt-4.1",
                Set.of(Capability.TOOLS, Capability.JSON, Capability.REASONING)));
        assertThat(p.price()).containsOnly(Map.entry("openai",
                Map.of("gpt-4.1", new CaravanProperties.PriceOverride(2.00, null, 0.50))));
    }

    @Test
    void eachProviderGetsTheTypedOptionsOfItsDialectWithDefaultsFilledIn() {
        GatewaySettings settings = GatewaySettings.from(gateway(
                "caravan.provider.azure.auth-header", "API-Key",
                "caravan.provider.azure.api-version", "2024-10-21",
                "caravan.provider.azure.messages-auth", "X-API-Key",
                "caravan.provider.claude.default-max-tokens", "8192",
                "caravan.provider.vertex.vertex-project", "my-project",
                "caravan.provider.vertex.vertex-region", "us-central1",
                "caravan.provider.vertex.api-keys", "/secrets/sa.json"));

        assertThat(settings.providers()).extracting(ProviderSettings::options).containsExactly(
                new DialectOptions.OpenAi(true, "2024-10-21", DialectOptions.MessagesAuth.X_API_KEY),
                new DialectOptions.Anthropic("2023-06-01", 8192),
                new DialectOptions.Gemini("my-project", "us-central1"));
    }

    @Test
    void aProvidersOwnLimitsAndBreakerKeysOverrideTheDefaultsOneByOne() {
        GatewaySettings settings = GatewaySettings.from(gateway(
                "caravan.defaults.idle-timeout", "45s",
                "caravan.breaker.sliding-window-size", "40",
                "caravan.provider.claude.idle-timeout", "2m",
                "caravan.provider.claude.breaker.sliding-window-size", "8",
                "caravan.provider.claude.max-connections", "12"));

        ProviderSettings azure = settings.providers().get(0);
        ProviderSettings claude = settings.providers().get(1);
        assertThat(azure.idle()).isEqualTo(Duration.ofSeconds(45));
        assertThat(claude.idle()).isEqualTo(Duration.ofMinutes(2));
        assertThat(azure.breaker().windowSize()).isEqualTo(40);
        assertThat(claude.breaker().windowSize()).isEqualTo(8);
        assertThat(claude.breaker().minimumCalls()).isEqualTo(azure.breaker().minimumCalls()).isEqualTo(10);
        assertThat(claude.maxConnections()).isEqualTo(12);
        assertThat(azure.maxConnections()).isEqualTo(4000);
    }

    @Test
    void aKeyWrittenWithoutAValueTakesItsDefault() {
        CaravanProperties p = SettingsBinder.bind(map("caravan.health.interval", " ", "caravan.jms.concurrency", "",
                "caravan.log.content", "", "caravan.jms.acceptor", "", "caravan.file.inbox", ""));

        assertThat(p.health().interval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.jms().concurrency()).isEqualTo(200);
        assertThat(p.log().content()).isFalse();
        assertThat(p.jms().acceptor()).isEqualTo("tcp://127.0.0.1:61616");
        assertThat(p.file().inbox()).isEqualTo(Path.of("data/inbox"));
    }

    @Test
    void theRoutesSeeTheCheckedValuesInTheFormTheirEndpointsTake() {
        GatewaySettings settings = GatewaySettings.from(gateway("caravan.health.interval", "2m",
                "caravan.file.poll-interval", "PT0.5S", "caravan.breaker.recovery-probe-interval", "1500ms",
                "caravan.jms.concurrency", " 12 ", "caravan.jms.enabled", "false"));

        assertThat(settings.routeProperties()).containsEntry("caravan.health.interval", "120000")
                .containsEntry("caravan.file.poll-interval", "500")
                .containsEntry("caravan.breaker.recovery-probe-interval", "1500")
                .containsEntry("caravan.jms.concurrency", "12")
                .containsEntry("caravan.jms.enabled", "false")
                .containsEntry("caravan.jms.request-queue", "llm.requests")
                .containsEntry("caravan.file.enabled", "true")
                .containsEntry("caravan.file.inbox", Path.of("data/inbox").toString());
    }

    @Test
    void theConsoleSettingsAreCheckedWithTheRest() {
        assertThat(GatewaySettings.from(gateway("caravan.console.history", "30m")).console().history())
                .isEqualTo(Duration.ofMinutes(30));
        assertThat(error(gateway("caravan.console.sample-interval", "10ms")).getMessage())
                .startsWith("Invalid configuration: caravan.console.sample-interval: ");
    }

    @Test
    void providerKeysNeverShowInTheBoundSettingsPrintedForm() {
        GatewaySettings settings = GatewaySettings.from(gateway("caravan.provider.claude.api-keys",
                "sk-ant-secret-1, sk-ant-secret-2", "caravan.auth.keys", "client-secret"));

        assertThat(settings.bound().toString()).doesNotContain("sk-ant-secret").doesNotContain("client-secret")
                .contains("apiKeys=(2)");
    }

    @Test
    void theKnownKeysAreEveryGroupsKeysAndEachProvidersWithoutTheFamiliesKeyedByName() {
        Set<String> keys = SettingsBinder.keys(List.of("groq"));

        assertThat(keys).contains("caravan.health.interval", "caravan.file.poll-interval",
                "caravan.breaker.recovery-probe-interval", "caravan.provider-answer.max-size", "caravan.default-model",
                "caravan.provider.groq.timeout", "caravan.provider.groq.breaker.minimum-calls",
                "caravan.provider.groq.vertex-region");
        assertThat(keys).noneMatch(k -> k.startsWith("caravan.model") || k.startsWith("caravan.price")
                || k.startsWith("caravan.context-window") || k.startsWith("caravan.capabilities"));
        // each of them binds
        keys.forEach(key -> assertThat(catchThrowableOfType(ConfigurationError.class,
                () -> SettingsBinder.bind(map(key, "")))).as(key).isNull());
    }

    // ---------------------------------------------------------------- start-up errors

    static Stream<Arguments> invalid() {
        return Stream.of(
                // the keys set over gateway(), the key the message must name, what it must also say
                Arguments.of(new String[] {"caravan.jms.concurency", "8"}, "caravan.jms.concurency",
                        "unknown setting; did you mean caravan.jms.concurrency?"),
                Arguments.of(new String[] {"caravan.helth.interval", "5s"}, "caravan.helth.interval",
                        "did you mean caravan.health.interval?"),
                Arguments.of(new String[] {"caravan.provider.claude.timout", "5s"}, "caravan.provider.claude.timout",
                        "unknown provider setting; did you mean caravan.provider.claude.timeout?"),
                Arguments.of(new String[] {"caravan.provider.claude.breaker.minimum-call", "5"},
                        "caravan.provider.claude.breaker.minimum-call",
                        "did you mean caravan.provider.claude.breaker.minimum-calls?"),
                Arguments.of(new String[] {"caravan.provider.claude.breaker.recovery-probe-interval", "5s"},
                        "caravan.provider.claude.breaker.recovery-probe-interval", "unknown setting"),
                Arguments.of(new String[] {"caravan.price.openai.gpt-4o.inptu", "1"},
                        "caravan.price.openai.gpt-4o.inptu", "did you mean caravan.price.openai.gpt-4o.input?"),
                Arguments.of(new String[] {"caravan.file.poll-interval", "1x"}, "caravan.file.poll-interval",
                        "'1x' is not a duration"),
                Arguments.of(new String[] {"caravan.breaker.recovery-probe-interval", "0s"},
                        "caravan.breaker.recovery-probe-interval", "longer than zero"),
                Arguments.of(new String[] {"caravan.jms.concurrency", "many"}, "caravan.jms.concurrency",
                        "'many' is not a whole number"),
                Arguments.of(new String[] {"caravan.jms.concurrency", "2.5"}, "caravan.jms.concurrency",
                        "'2.5' is not a whole number"),
                Arguments.of(new String[] {"caravan.http.max-body-size", "99999999999999999999"},
                        "caravan.http.max-body-size", "'99999999999999999999' is not a whole number"),
                Arguments.of(new String[] {"caravan.log.content", "yes"}, "caravan.log.content",
                        "'yes' is neither true nor false"),
                Arguments.of(new String[] {"caravan.hedging.budget", "lots"}, "caravan.hedging.budget",
                        "'lots' is not a number"),
                Arguments.of(new String[] {"caravan.hedging.budget", "2"}, "caravan.hedging.budget",
                        "not a share between 0 and 1"),
                Arguments.of(new String[] {"caravan.hedging.policies", "speed, fastest"}, "caravan.hedging.policies",
                        "'fastest' is not a routing policy"),
                Arguments.of(new String[] {"caravan.capabilities.gpt-4o", "tools, telepathy"},
                        "caravan.capabilities.gpt-4o", "'telepathy' is not a capability"),
                Arguments.of(new String[] {"caravan.streaming.first-token-factor", "0.5"},
                        "caravan.streaming.first-token-factor", "not a factor between 1 and 100"),
                Arguments.of(new String[] {"caravan.jms.reply-queue", "replies/eu"}, "caravan.jms.reply-queue",
                        "is not a queue name"),
                Arguments.of(new String[] {"caravan.console.events", "0"}, "caravan.console.events", "at least 1"),
                Arguments.of(new String[] {"caravan.estimate.exact-chars", "-1"}, "caravan.estimate.exact-chars",
                        "at least 0"),
                Arguments.of(new String[] {"caravan.health", "5s"}, "caravan.health", "group of settings"),
                Arguments.of(new String[] {"caravan.provider.azure.anthropic-version", "2023-06-01"},
                        "caravan.provider.azure.anthropic-version", "not an option of the openai dialect"),
                Arguments.of(new String[] {"caravan.provider.claude.auth-header", "api-key"},
                        "caravan.provider.claude.auth-header", "not an option of the anthropic dialect"),
                Arguments.of(new String[] {"caravan.provider.azure.messages-auth", "header"},
                        "caravan.provider.azure.messages-auth", "'header' is none of both, x-api-key, auth-header"),
                Arguments.of(new String[] {"caravan.provider.claude.messages-auth", "both"},
                        "caravan.provider.claude.messages-auth", "not an option of the anthropic dialect"),
                Arguments.of(new String[] {"caravan.provider.claude.default-max-tokens", "0"},
                        "caravan.provider.claude.default-max-tokens", "'0' is not a positive whole number of tokens"),
                Arguments.of(new String[] {"caravan.provider.vertex.vertex-region", "us-central1"},
                        "caravan.provider.vertex.vertex-project", "needs both vertex-project and vertex-region"),
                Arguments.of(new String[] {"caravan.providers", "azure, claude, vertex, mistral"},
                        "caravan.provider.mistral.dialect", "required but not set"),
                Arguments.of(new String[] {"caravan.provider.claude.base-url", " "},
                        "caravan.provider.claude.base-url", "required but not set"),
                Arguments.of(new String[] {"caravan.log.batch-delay", "PT-0.005S"}, "caravan.log.batch-delay",
                        "must be longer than zero"),
                Arguments.of(new String[] {"caravan.log.queue-bytes", "100"}, "caravan.log.queue-bytes",
                        "must be at least 1024"));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("invalid")
    void anInvalidSettingStopsTheStartNamingTheKeyAndSayingWhy(String[] changes, String key, String says) {
        ConfigurationError error = error(gateway(changes));

        assertThat(error).isNotNull();
        assertThat(error.getMessage()).startsWith("Invalid configuration: " + key + ": ").contains(says);
    }

    @Test
    void aNameFarFromEveryKnownOneGetsNoSuggestion() {
        assertThat(error(gateway("caravan.jms.telemetry", "x")).getMessage())
                .isEqualTo("Invalid configuration: caravan.jms.telemetry: unknown setting");
    }
}
