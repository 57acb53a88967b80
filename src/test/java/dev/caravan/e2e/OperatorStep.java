package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.camel.Processor;

/**
 * A step of an operator's own ({@code process} of a bean) put into a copy of the project's routes, right before or
 * after a step one of them already holds, and a gateway started on that copy with the step's bean.
 */
record OperatorStep(Path routes, String ref, Processor step) {

    /** {@code step}, as the bean {@code ref}, right after {@code anchor}, a step of {@code file} as indented there. */
    static OperatorStep after(Path dir, String file, String anchor, String ref, Processor step) throws IOException {
        return insert(dir, file, anchor, ref, step, false);
    }

    /** {@code step}, as the bean {@code ref}, right before {@code anchor}, a step of {@code file} as indented there. */
    static OperatorStep before(Path dir, String file, String anchor, String ref, Processor step) throws IOException {
        return insert(dir, file, anchor, ref, step, true);
    }

    private static OperatorStep insert(Path dir, String file, String anchor, String ref, Processor step,
            boolean before) throws IOException {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        Path route = routes.resolve(file);
        String yaml = Files.readString(route);
        assertThat(yaml).contains(anchor);
        String indent = " ".repeat(anchor.length() - anchor.stripLeading().length());
        String own = indent + "- process:\n" + indent + "    ref: " + ref + "\n";
        Files.writeString(route, yaml.replace(anchor, before ? own + anchor : anchor + own));
        return new OperatorStep(routes, ref, step);
    }

    /** A gateway in front of {@code providers} on these routes, with the step's bean and {@code props} besides. */
    Gateway start(List<String> providers, String... props) {
        String[] all = Stream.concat(Stream.of("camel.main.routes-include-pattern",
                OperatorRoutes.includePattern(routes)), Stream.of(props)).toArray(String[]::new);
        return Gateway.startWith(providers, Gateway.props(all), Map.of(ref, step));
    }
}
