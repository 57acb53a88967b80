package dev.caravan.console;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.caravan.ConfigurationError;
import dev.caravan.GatewaySettings;

/**
 * The {@code caravan.console.*} settings.
 *
 * @param enabled        serve the console on the management port
 * @param onApiPort      also serve it on the client API port (off: that port answers /console with a 404)
 * @param sampleInterval how often the meters are read for the console's rates and charts
 * @param rateWindow     requests per second, success rate and time to first token are taken over this
 * @param history        how far back the charts reach
 * @param events         how many transitions and failovers are kept
 * @param allowedHosts   host names the console may be reached by, besides IP addresses and localhost
 */
public record ConsoleSettings(boolean enabled, boolean onApiPort, Duration sampleInterval, Duration rateWindow,
        Duration history, int events, Set<String> allowedHosts) {

    public ConsoleSettings {
        if (sampleInterval.toMillis() < 100) {
            throw new ConfigurationError("caravan.console.sample-interval", "must be at least 100ms");
        }
        if (rateWindow.compareTo(sampleInterval.multipliedBy(2)) < 0) {
            throw new ConfigurationError("caravan.console.rate-window", "must span at least two sample intervals");
        }
        if (history.compareTo(rateWindow) < 0) {
            throw new ConfigurationError("caravan.console.history", "must be at least caravan.console.rate-window");
        }
        if (events < 1) {
            throw new ConfigurationError("caravan.console.events", "must be at least 1");
        }
    }

    public static ConsoleSettings from(Map<String, String> properties) {
        return new ConsoleSettings(bool(properties, "caravan.console.enabled", true),
                bool(properties, "caravan.console.on-api-port", false),
                duration(properties, "caravan.console.sample-interval", "1s"),
                duration(properties, "caravan.console.rate-window", "1m"),
                duration(properties, "caravan.console.history", "15m"),
                integer(properties, "caravan.console.events", 50),
                Arrays.stream(properties.getOrDefault("caravan.console.allowed-hosts", "").split(","))
                        .map(String::trim).filter(h -> !h.isEmpty()).collect(Collectors.toUnmodifiableSet()));
    }

    /** Samples kept for the charts. */
    int samplesKept() {
        return (int) Math.max(2, history.toMillis() / sampleInterval.toMillis() + 1);
    }

    private static Duration duration(Map<String, String> properties, String key, String fallback) {
        return GatewaySettings.parseDuration(key, properties.getOrDefault(key, fallback));
    }

    private static boolean bool(Map<String, String> properties, String key, boolean fallback) {
        String v = properties.getOrDefault(key, Boolean.toString(fallback)).trim();
        if (!v.equals("true") && !v.equals("false")) {
            throw new ConfigurationError(key, "'" + v + "' is not true or false");
        }
        return Boolean.parseBoolean(v);
    }

    private static int integer(Map<String, String> properties, String key, int fallback) {
        String v = properties.getOrDefault(key, Integer.toString(fallback)).trim();
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ConfigurationError(key, "'" + v + "' is not a whole number");
        }
    }
}
