package dev.caravan.provider;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Removes secrets from text that came from outside (provider error messages) before it is logged or returned.
 * Configured keys are removed wherever they appear, and so is anything shaped like a common provider key,
 * since providers echo partial keys ("Incorrect API key provided: sk-abc***xyz").
 */
public final class SecretRedactor {

    private static final Pattern KEY_SHAPES = Pattern.compile(
            "(?<![A-Za-z0-9_-])(sk-ant-|sk-proj-|sk-|gsk_|xai-|AIza)[A-Za-z0-9_\\-*.]{4,}");
    private static final int MAX_LENGTH = 600;

    private final List<String> secrets;

    public SecretRedactor(List<String> secrets) {
        this.secrets = secrets.stream().filter(s -> s.length() >= 4)
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String secret : secrets) {
            out = out.replace(secret, "[redacted]");
        }
        out = KEY_SHAPES.matcher(out).replaceAll("[redacted]");
        return out.length() > MAX_LENGTH ? out.substring(0, MAX_LENGTH) + "..." : out;
    }

    public ProviderFailure redact(ProviderFailure failure) {
        String clean = redact(failure.getMessage());
        if (Objects.equals(clean, failure.getMessage())) {
            return failure;
        }
        return new ProviderFailure(failure.failureClass(), failure.status(), clean, failure.retryAfter().orElse(null));
    }
}
