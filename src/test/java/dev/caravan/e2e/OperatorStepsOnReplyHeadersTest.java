package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import dev.caravan.e2e.ReplyHeadersOnTheWireTest.Answer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's steps after {@code httpReplies.render} see the gateway's own reply headers as any message header,
 * on a real gateway and socket: one removes the cost, one reads the provider in a {@code choice} to set a header of
 * its own, one replaces the model with a value made from the gateway's.
 */
class OperatorStepsOnReplyHeadersTest {

    private static final String HI = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    static Path dir;

    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        Path routes = OperatorRoutes.copyProjectRoutes(dir);
        OperatorRoutes.afterRender(routes, """
                              - removeHeader:
                                  name: x-caravan-cost
                              - choice:
                                  when:
                                    - simple: "${header.X-Caravan-Provider} == 'openai'"
                                      steps:
                                        - setHeader:
                                            name: x-served-by
                                            simple: "${header.x-caravan-provider}"
                                  otherwise:
                                    steps:
                                      - setHeader:
                                          name: x-served-by
                                          constant: unknown
                              - setHeader:
                                  name: x-caravan-model
                                  simple: "${header.x-caravan-provider}/${header.x-caravan-model}"
                """);
        gateway = Gateway.start(List.of("openai"), Gateway.props(
                "camel.main.routes-include-pattern", OperatorRoutes.includePattern(routes),
                "caravan.price.openai.model-openai.input", "1.5",
                "caravan.price.openai.model-openai.output", "6"));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void aStepThatRemovesTheCostKeepsItFromTheClient() {
        Answer answer = ReplyHeadersOnTheWireTest.post(gateway.port(), HI);

        assertThat(answer.status()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(names(answer)).doesNotContain("x-caravan-cost")
                .as("the rest of the gateway's head still there").contains("x-caravan-estimated-cost",
                        "x-caravan-provider", "x-caravan-request-id");
    }

    @Test
    void aChoiceOnTheProviderSetsTheOperatorsHeaderFromIt() {
        Answer answer = ReplyHeadersOnTheWireTest.post(gateway.port(), HI);

        assertThat(answer.status()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(answer.headers()).filteredOn(line -> line.toLowerCase(Locale.ROOT).startsWith("x-served-by:"))
                .containsExactly("x-served-by: openai");
    }

    @Test
    void aStepThatReplacesTheModelIsWhatTheClientGetsOnce() {
        Answer answer = ReplyHeadersOnTheWireTest.post(gateway.port(), HI);

        assertThat(answer.status()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(answer.headers()).filteredOn(line -> line.toLowerCase(Locale.ROOT).startsWith("x-caravan-model:"))
                .containsExactly("x-caravan-model: openai/model-openai");
    }

    private static List<String> names(Answer answer) {
        return answer.headers().stream().map(line -> line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT))
                .toList();
    }
}
