package dev.caravan.console;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import io.vertx.core.net.HostAndPort;

/**
 * Which {@code Host} a console request may name. The console has no login and its buttons act, so a page on another
 * site must not reach it by DNS rebinding (its own name made to resolve to this machine, which makes the browser
 * treat the console as that site's own). Such a page always names its own host: an IP literal, {@code localhost}
 * and the names an operator lists are the only ones let through.
 */
final class HostGuard {

    private final Set<String> allowedNames;

    /** @param allowedNames host names (no port) the console is reached by, besides IP literals and localhost */
    HostGuard(Set<String> allowedNames) {
        this.allowedNames = allowedNames.stream().map(n -> n.trim().toLowerCase(Locale.ROOT))
                .filter(n -> !n.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    /** True when a request naming {@code authority} (its Host header, parsed; null when absent) may be served. */
    boolean allows(HostAndPort authority) {
        if (authority == null) {
            return false;
        }
        String host = authority.host().toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        return host.equals("localhost") || isIpLiteral(host) || allowedNames.contains(host);
    }

    private static boolean isIpLiteral(String host) {
        if (host.contains(":")) {
            return true; // IPv6, bracketed or not: no name has a colon
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }
}
