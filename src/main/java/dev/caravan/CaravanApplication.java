package dev.caravan;

import org.apache.camel.main.Main;

/** Starts Caravan: camel-main with application.properties and the YAML routes of the working directory. */
public final class CaravanApplication {

    private CaravanApplication() {
    }

    public static void main(String[] args) throws Exception {
        // Camel reads this once, when its first thread pool is made: it must be set before anything else.
        if (System.getProperty("camel.threads.virtual.enabled") == null) {
            System.setProperty("camel.threads.virtual.enabled", "true");
        }
        Main main = new Main();
        main.setDefaultPropertyPlaceholderLocation(propertiesLocation());
        main.run(args);
    }

    /** {@code caravan.config} names another properties file; by default application.properties in the working directory. */
    static String propertiesLocation() {
        return "file:" + System.getProperty("caravan.config", "application.properties");
    }
}
