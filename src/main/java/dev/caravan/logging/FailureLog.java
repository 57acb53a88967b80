package dev.caravan.logging;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

import dev.caravan.provider.RedactedFailure;
import dev.caravan.provider.SecretRedactor;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.NoTypeConversionAvailableException;
import org.apache.camel.TypeConversionException;
import org.apache.camel.spi.CamelLogger;
import org.apache.camel.spi.ExchangeFormatter;
import org.slf4j.LoggerFactory;

/**
 * How Camel's error handler logs a failed exchange on a route with no error handler of its own (an operator's route):
 * without the keys, the request's body or its headers' values, whatever the log layout and whatever
 * {@code camel.main.log-exhausted-message-body} says. The handler's line quotes the failure ({@code caught: ...}, and
 * its stack trace with every message), and a failure's message may quote the body (a type conversion quotes the
 * value it could not convert) or a provider's answer.
 *
 * <p>The {@link #formatter() formatter} writes the exchange without its body and header values, and notes them for the
 * {@link #logger() logger}, which the error handler calls next on the same thread, in the same method
 * ({@code RedeliveryErrorHandler.logFailedDelivery}): the line and its exceptions then lose every quote of them, and
 * every key ({@link RedactingConverter#keys()}).
 */
public final class FailureLog {

    /** The registry name of the formatter, for {@code exchangeFormatterRef}. */
    public static final String FORMATTER = "caravanFailureFormatter";
    /** What a quote of the request stands as. */
    static final String REMOVED = "[request content]";
    /** Shorter values are not looked for: they are too common to blank (a "1", a "true"). */
    private static final int SHORTEST = 4;

    /** The request's values the formatter saw, for the line the logger writes next on this thread. */
    private static final ThreadLocal<List<String>> QUOTES = new ThreadLocal<>();

    private FailureLog() {
    }

    /** Writes an exchange as its ids, its body's type and length, and how many headers it has: no content. */
    public static ExchangeFormatter formatter() {
        return exchange -> {
            QUOTES.set(quotes(exchange));
            Object body = exchange.getMessage().getBody();
            return "Exchange[Id " + exchange.getExchangeId() + ", RouteId " + exchange.getFromRouteId()
                    + ", BodyType " + (body == null ? "null" : body.getClass().getName()) + ", Body not logged"
                    + (body instanceof CharSequence || body instanceof byte[] ? " (" + length(body) + ")" : "")
                    + ", " + exchange.getMessage().getHeaders().size() + " headers not logged]";
        };
    }

    /** The error handler's logger: Camel's own logger name and level, each line and exception cleaned. */
    public static CamelLogger logger() {
        return new CamelLogger(LoggerFactory.getLogger("org.apache.camel.processor.errorhandler.DefaultErrorHandler"),
                LoggingLevel.ERROR) {

            @Override
            public void log(String message, LoggingLevel level) {
                List<String> quotes = taken();
                if (shouldLog(getLog(), level)) {
                    log(getLog(), level, getMarker(), clean(message, quotes));
                }
            }

            @Override
            public void log(String message) {
                log(message, getLevel());
            }

            @Override
            public void doLog(String message) {
                log(getLog(), getLevel(), getMarker(), clean(message, taken()));
            }

            @Override
            public void log(String message, Throwable exception, LoggingLevel level) {
                List<String> quotes = taken();
                quotes.addAll(values(exception));
                quotes.sort(Comparator.comparingInt(String::length).reversed());
                log(getLog(), level, getMarker(), clean(message, quotes),
                        RedactedFailure.of(exception, text -> clean(text, quotes)));
            }

            @Override
            public void log(String message, Throwable exception) {
                if (shouldLog()) {
                    log(message, exception, getLevel());
                }
            }
        };
    }

    /** {@code text} without the quotes of the request and without keys. */
    static String clean(String text, List<String> quotes) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String quote : quotes) {
            out = out.replace(quote, REMOVED);
        }
        SecretRedactor keys = RedactingConverter.keys();
        out = keys == null ? out : keys.scrub(out);
        return SecretRedactor.withoutKeyShapes(out);
    }

    /** What the formatter noted on this thread (and no longer), longest first. */
    private static List<String> taken() {
        List<String> quotes = QUOTES.get();
        QUOTES.remove();
        return quotes == null ? new ArrayList<>() : quotes;
    }

    /** The body and header values of {@code exchange}, and the values its failure could not convert; longest first. */
    private static List<String> quotes(Exchange exchange) {
        List<String> quotes = new ArrayList<>();
        add(quotes, () -> exchange.getMessage().getBody());
        // Camel's own headers (CamelHttpPath, ...) say nothing of the request's content, and are worth reading
        exchange.getMessage().getHeaders().forEach((name, value) -> {
            if (!name.startsWith("Camel")) {
                add(quotes, () -> value);
            }
        });
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        quotes.addAll(values(failure));
        quotes.sort(Comparator.comparingInt(String::length).reversed());
        return quotes;
    }

    /** The values Camel's type conversion failures in {@code failure}'s causes quote. */
    private static List<String> values(Throwable failure) {
        List<String> values = new ArrayList<>();
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof TypeConversionException conversion) {
                add(values, conversion::getValue);
            } else if (t instanceof NoTypeConversionAvailableException conversion) {
                add(values, conversion::getValue);
            }
        }
        return values;
    }

    /** A value as a message would quote it ({@code toString}), unless it is a stream (never read here) or short. */
    private static void add(List<String> quotes, Supplier<Object> value) {
        Object v = value.get();
        if (v == null || v instanceof java.io.InputStream || v instanceof org.apache.camel.StreamCache) {
            return;
        }
        String text = v instanceof byte[] bytes ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                : String.valueOf(v);
        if (text.length() >= SHORTEST) {
            quotes.add(text);
        }
    }

    private static String length(Object body) {
        return body instanceof byte[] bytes ? bytes.length + " bytes" : ((CharSequence) body).length() + " characters";
    }
}
