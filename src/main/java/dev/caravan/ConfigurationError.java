package dev.caravan;

/** Invalid configuration found at start. The message names the key and says what is expected. */
public final class ConfigurationError extends RuntimeException {

    public ConfigurationError(String key, String problem) {
        super("Invalid configuration: " + key + ": " + problem);
    }
}
