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
        // Provider calls wait on the event loops; what still blocks on a socket from a virtual thread (the health
        // probes' camel-http) is rare, so the JDK's pollers run as virtual threads under one platform master poller
        // (mode 2, the default since JDK 22 and set here for JDK 21) rather than as two platform threads (mode 1),
        // one thread less at rest. The JDK reads it at the first blocking socket read.
        if (System.getProperty("jdk.pollerMode") == null) {
            System.setProperty("jdk.pollerMode", "2");
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
