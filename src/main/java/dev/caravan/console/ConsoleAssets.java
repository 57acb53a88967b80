package dev.caravan.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The console's files, read from the jar once at start: its page, script and style, and uPlot from its webjar.
 * Only these paths are served, so no request can reach any other resource of the class path.
 */
final class ConsoleAssets {

    record Asset(byte[] bytes, String contentType) {
    }

    private static final String UPLOT_POM = "META-INF/maven/org.webjars.npm/uplot/pom.properties";

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    ConsoleAssets() {
        put("", "console/index.html", "text/html; charset=utf-8");
        put("console.js", "console/console.js", "text/javascript; charset=utf-8");
        put("console.css", "console/console.css", "text/css; charset=utf-8");
        String uplot = "META-INF/resources/webjars/uplot/" + uplotVersion() + "/dist/";
        put("uplot.js", uplot + "uPlot.iife.min.js", "text/javascript; charset=utf-8");
        put("uplot.css", uplot + "uPlot.min.css", "text/css; charset=utf-8");
    }

    /** The asset at {@code name} (the path below {@code /console/}), or null. */
    Asset get(String name) {
        return assets.get(name);
    }

    private void put(String name, String resource, String contentType) {
        assets.put(name, new Asset(read(resource), contentType));
    }

    private static String uplotVersion() {
        Properties pom = new Properties();
        try (InputStream in = stream(UPLOT_POM)) {
            pom.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pom.getProperty("version");
    }

    private static byte[] read(String resource) {
        try (InputStream in = stream(resource)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream stream(String resource) {
        InputStream in = ConsoleAssets.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("the console's file " + resource + " is missing from the class path");
        }
        return in;
    }
}
