package dev.caravan.floor;

import org.apache.camel.main.Main;

/**
 * Starts one floor: camel-main with bench/floor/floor.properties and the routes of the stack named by
 * {@code -Dfloor.stack} (bench/floor/stacks/&lt;stack&gt;.camel.yaml). Run from the repository root.
 */
public final class FloorMain {

    private FloorMain() {
    }

    public static void main(String[] args) throws Exception {
        // As the gateway does: read once, when Camel makes its first thread pool.
        if (System.getProperty("camel.threads.virtual.enabled") == null) {
            System.setProperty("camel.threads.virtual.enabled", "true");
        }
        String stack = System.getProperty("floor.stack", "http");
        System.setProperty("camel.main.routes-include-pattern", "file:bench/floor/stacks/" + stack + ".camel.yaml");
        Main main = new Main();
        main.setDefaultPropertyPlaceholderLocation("file:bench/floor/floor.properties");
        main.configure().addConfiguration(new FloorConfiguration(stack));
        main.run(args);
    }
}
