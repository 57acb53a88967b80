package dev.caravan;

import dev.caravan.provider.SecretRedactor;

/**
 * Invalid configuration found at start. The message names the key and says what is expected; a value it quotes loses
 * anything shaped like a provider key (one pasted into the wrong setting), since it is logged before any key is known
 * to the log's redaction.
 */
public final class ConfigurationError extends RuntimeException {

    public ConfigurationError(String key, String problem) {
        super("Invalid configuration: " + key + ": " + SecretRedactor.withoutKeyShapes(problem));
    }
}
