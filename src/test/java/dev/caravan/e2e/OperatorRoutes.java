package dev.caravan.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** An operator's copy of the project's routes/ folder, and the README's example of an operator's own route. */
final class OperatorRoutes {

    static final String EXAMPLE_FILE = "inbox-smart.camel.yaml";

    private OperatorRoutes() {
    }

    /** The project's routes copied into {@code dir}/routes: the folder a gateway started on it reads. */
    static Path copyProjectRoutes(Path dir) throws IOException {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).toList()) {
                Files.copy(file, routes.resolve(file.getFileName()));
            }
        }
        return routes;
    }

    /** The properties that point a gateway at {@code routes} instead of the project's folder. */
    static String includePattern(Path routes) {
        return "file:" + routes.toAbsolutePath() + "/*.camel.yaml";
    }

    /**
     * The example route of the README's "Your own routes" section, as printed there, with its {@code data/}
     * folders moved under {@code dataDir}.
     */
    static String readmeExample(Path dataDir) throws IOException {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        String start = "```yaml\n# routes/" + EXAMPLE_FILE;
        int from = readme.indexOf(start);
        if (from < 0) {
            throw new IllegalStateException("the README shows no " + EXAMPLE_FILE);
        }
        from += "```yaml\n".length();
        String yaml = readme.substring(from, readme.indexOf("```", from));
        return yaml.replace("file:data/", "file:" + dataDir.toAbsolutePath() + "/");
    }

    /**
     * Puts {@code steps} (YAML at the doTry's step indent) right after {@code httpReplies.render} in the copied
     * {@code ingress-http} route under {@code routes}: an operator's steps on the rendered answer.
     */
    static void afterRender(Path routes, String steps) throws IOException {
        Path ingress = routes.resolve("ingress-http.camel.yaml");
        String render = """
                              - process:
                                  ref: httpReplies.render
                """;
        String yaml = Files.readString(ingress);
        if (!yaml.contains(render)) {
            throw new IllegalStateException("ingress-http.camel.yaml no longer renders with httpReplies.render");
        }
        Files.writeString(ingress, yaml.replace(render, render + steps));
    }
}
