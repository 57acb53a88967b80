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
        // A virtual thread blocked on a provider's socket is woken by a platform poller thread directly (mode 1)
        // rather than by the master poller through a virtual sub-poller (mode 2, the default since JDK 22): one
        // hand-off less per provider call. Measured on bench/overhead.sh at one connection: added p50 0.34 ->
        // 0.25 ms and 428 -> 297 us CPU per request. The JDK reads it at the first blocking socket read.
        if (System.getProperty("jdk.pollerMode") == null) {
            System.setProperty("jdk.pollerMode", "1");
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
