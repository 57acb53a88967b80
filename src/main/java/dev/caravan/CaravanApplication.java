package dev.caravan;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.camel.main.Main;
import org.apache.logging.log4j.LogManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts Caravan: camel-main with application.properties and the YAML routes of the working directory. */
public final class CaravanApplication {

    private static final Logger LOG = LoggerFactory.getLogger(CaravanApplication.class);

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
        // Log4j's own shutdown hook is off (log4j2.properties): run beside Camel's on SIGTERM, it stopped the
        // asynchronous console while Camel was still stopping, and the stop's last lines were lost. This hook lets
        // the console go only once Camel has stopped and said so (bounded past Camel's own 30 s stop timeout).
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LogManager.shutdown();
        }, "caravan-log-flush"));
        int status = run(main, args);
        stopped.countDown();
        if (status != 0) {
            LogManager.shutdown(); // the asynchronous console's last lines written before the exit
            System.exit(1);
        }
    }

    /**
     * Runs {@code main} until it stops; a start that fails is logged, not thrown: thrown out of {@code main()}, the
     * JVM would print it as it stands, where a log line has the configured keys redacted (a configuration error may
     * quote one).
     *
     * @return 0 when it ran and stopped, else non-zero
     */
    public static int run(Main main, String[] args) {
        try {
            return main.run(args);
        } catch (Exception e) {
            LOG.error("Caravan did not start", e);
            return 1;
        }
    }

    /** {@code caravan.config} names another properties file; by default application.properties in the working directory. */
    static String propertiesLocation() {
        return "file:" + System.getProperty("caravan.config", "application.properties");
    }
}
