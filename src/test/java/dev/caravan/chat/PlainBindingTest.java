package dev.caravan.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.DeserializationFeature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The hand binding of the common request gives what databind gives, or leaves the request to it. */
class PlainBindingTest {

    /** As the gateway's mapper reads requests (unknown properties are not refused: they are extras). */
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final ObjectMapper STRICT = JsonBodies.strict(JSON, 64, 1 << 20);
    private static final ObjectReader REQUESTS = JSON.readerFor(ChatRequest.class);

    /** The common shapes, each bound by hand. */
    static List<String> common() {
        List<String> bodies = new ArrayList<>(PlainRequestsTest.plain());
        bodies.addAll(List.of(
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true}}",
                "{\"model\":\"fast\",\"messages\":[],\"temperature\":1,\"top_p\":9007199254740993}",
                "{\"model\":\"fast\",\"messages\":[{\"name\":\"n\",\"content\":\"h\\u00e9 \\ud83d\\ude00\",\"role\":\"x\"}],"
                        + "\"caravan\":{\"policy\":\"cost\",\"allow\":[\"a\"]},\"seed\":99999999999999999999,"
                        + "\"logit_bias\":{\"1\":-0.0,\"2\":1e300,\"3\":0.1},\"metadata\":null,\"user\":\"u\"}",
                "{\"model\":null,\"messages\":[{\"role\":\"user\",\"content\":\"\"}],\"stream\":null,\"max_tokens\":null,"
                        + "\"max_completion_tokens\":2147483647,\"temperature\":null,\"top_p\":-1.5e-7}"));
        return bodies;
    }

    /** Shapes left to databind: each must come back null. */
    static List<String> others() {
        return List.of(
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":\"END\"}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":null}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[]}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tool_choice\":\"none\"}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":null}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":null}]}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"tool\",\"content\":\"r\",\"tool_call_id\":\"c\"}]}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":5}]}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"refusal\":null}]}",
                "{\"model\":\"fast\",\"messages\":[{\"content\":\"hi\"}]}",
                "{\"model\":\"fast\",\"messages\":[\"hi\"]}",
                "{\"model\":\"fast\",\"messages\":null}",
                "{\"model\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":\"true\"}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16.0}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4294967296}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"1\"}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_p\":99999999999999999999}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"maxTokens\":5}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"clientHeaders\":{}}",
                "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"extra\":{}}",
                "{\"temperature\":NaN,\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "[{\"model\":\"fast\"}]");
    }

    static Stream<String> every() {
        List<String> all = new ArrayList<>(common());
        all.addAll(others());
        RequestCases.valid().forEach(good -> all.add(good.body()));
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("common")
    void theCommonRequestIsBoundByHand(String body) {
        assertThat(PlainBinding.bind(tree(body))).isNotNull();
    }

    @ParameterizedTest
    @MethodSource("others")
    void anyOtherShapeIsLeftToDatabind(String body) {
        assertThat(PlainBinding.bind(tree(body))).isNull();
    }

    /**
     * Equal records, the same JSON written back, the extras in the same order and of the same kind of map; where there
     * are none, the shared empty map (a call in flight keeps no empty map of its own).
     */
    @ParameterizedTest
    @MethodSource("every")
    void whatIsBoundByHandIsWhatDatabindBinds(String body) throws Exception {
        ChatRequest byHand = PlainBinding.bind(tree(body));
        if (byHand == null) {
            return;
        }
        ChatRequest byDatabind = REQUESTS.readValue(tree(body));

        assertThat(byHand).isEqualTo(byDatabind);
        assertThat(JSON.writeValueAsString(byHand)).isEqualTo(JSON.writeValueAsString(byDatabind));
        assertThat(List.copyOf(byHand.extra().keySet())).containsExactlyElementsOf(byDatabind.extra().keySet());
        sameKind(byHand.extra(), byDatabind.extra());
        assertThat(byHand.messages().getClass()).isEqualTo(byDatabind.messages().getClass());
        for (int i = 0; i < byHand.messages().size(); i++) {
            sameKind(byHand.messages().get(i).extra(), byDatabind.messages().get(i).extra());
        }
        byHand.extra().forEach((name, value) -> assertThat(value.getClass()).as(name)
                .isEqualTo(byDatabind.extra().get(name).getClass()));
    }

    @Test
    void aValidRequestOfEveryDocumentedFieldIsLeftToDatabind() {
        assertThat(PlainBinding.bind(tree(RequestCases.valid().getFirst().body()))).isNull();
    }

    private static JsonNode tree(String body) {
        JsonNode tree = JsonBodies.parse(STRICT, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), 64);
        JsonBodies.replaceNonFinite(tree);
        return tree;
    }

    private static void sameKind(Map<String, JsonNode> byHand, Map<String, JsonNode> byDatabind) {
        if (byDatabind.isEmpty()) {
            assertThat(byHand).isSameAs(Map.of());
        } else {
            assertThat(byHand.getClass()).isEqualTo(byDatabind.getClass());
        }
    }
}
