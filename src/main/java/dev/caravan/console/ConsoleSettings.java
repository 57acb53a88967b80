package dev.caravan.console;

import java.time.Duration;
import java.util.Set;

import dev.caravan.ConfigurationError;

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

    /** Samples kept for the charts. */
    int samplesKept() {
        return (int) Math.max(2, history.toMillis() / sampleInterval.toMillis() + 1);
    }
}
