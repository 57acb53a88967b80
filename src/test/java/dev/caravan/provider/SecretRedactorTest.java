package dev.caravan.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SecretRedactorTest {

    private static final String CONFIGURED = "my-internal-gateway-key-9f8e7d6c";

    private final SecretRedactor redactor = new SecretRedactor(List.of(CONFIGURED, "tok_short_but_ok"));

    static Stream<Arguments> configuredKeys() {
        return Stream.of(
                Arguments.of("bad key " + CONFIGURED, "bad key [redacted]"),
                Arguments.of(CONFIGURED, "[redacted]"),
                Arguments.of("'" + CONFIGURED + "' and again '" + CONFIGURED + "'",
                        "'[redacted]' and again '[redacted]'"),
                Arguments.of("key=" + CONFIGURED + "&x=1", "key=[redacted]&x=1"),
                Arguments.of("Bearer tok_short_but_ok rejected", "Bearer [redacted] rejected"),
                Arguments.of("{\"error\":{\"message\":\"invalid key " + CONFIGURED + "\"}}",
                        "{\"error\":{\"message\":\"invalid key [redacted]\"}}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configuredKeys")
    void configuredKeysAreRemovedWhereverTheyAppear(String text, String expected) {
        assertThat(redactor.redact(text)).isEqualTo(expected);
    }

    @Test
    void theLongerOfTwoOverlappingKeysIsRemovedWhole() {
        // if the shorter were replaced first, the longer's tail would survive
        SecretRedactor overlapping = new SecretRedactor(List.of("abcd1234", "abcd1234efgh5678"));

        assertThat(overlapping.redact("k1=abcd1234efgh5678 k2=abcd1234")).isEqualTo("k1=[redacted] k2=[redacted]");
    }

    @Test
    void keysShorterThanFourCharactersAreNotTreatedAsSecrets() {
        // a one-letter "key" would otherwise blank every occurrence of that letter
        SecretRedactor tiny = new SecretRedactor(List.of("a", "xyz"));

        assertThat(tiny.redact("a lazy xyz")).isEqualTo("a lazy xyz");
    }

    static Stream<Arguments> keyShapes() {
        return Stream.of(
                Arguments.of("OpenAI masked", "Incorrect API key provided: sk-abc1*****************wxyz. You can "
                        + "find your API key at https://platform.openai.com/account/api-keys.",
                        "sk-abc1", "wxyz"),
                Arguments.of("OpenAI plain", "key sk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 is revoked",
                        "sk-AbCd", "0123456789"),
                Arguments.of("OpenAI project", "Incorrect API key provided: sk-proj-********************************"
                        + "Yh3A", "sk-proj", "Yh3A"),
                Arguments.of("Anthropic", "invalid x-api-key: sk-ant-api03-AbCdEfGhIjKl_MnOp-QrStUv-wxYZAA",
                        "sk-ant", "AbCdEfGhIjKl"),
                Arguments.of("Google", "API key not valid: AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
                        "AIza", "SyA1b2C3"),
                Arguments.of("Groq", "Invalid API Key: gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123",
                        "gsk_", "AbCdEfGh"),
                Arguments.of("xAI", "Incorrect API key provided: xai-AbCd***************WxYz", "xai-", "AbCd"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keyShapes")
    void anythingShapedLikeAProviderKeyIsRemoved(String shape, String text, String head, String tail) {
        String clean = redactor.redact(text);

        assertThat(clean).contains("[redacted]").doesNotContain(head).doesNotContain(tail);
        // the words around the key survive
        assertThat(clean).startsWith(text.substring(0, text.indexOf(head)));
    }

    @Test
    void theTextAroundAMaskedOpenAiKeyIsKept() {
        assertThat(redactor.redact("Incorrect API key provided: sk-abc1*****************wxyz. You can find your "
                + "API key at https://platform.openai.com/account/api-keys."))
                .startsWith("Incorrect API key provided: [redacted]")
                .endsWith(" You can find your API key at https://platform.openai.com/account/api-keys.");
    }

    @ParameterizedTest
    @ValueSource(strings = {"The server had an error while processing your request. Sorry about that!",
            "Rate limit reached for gpt-4o on requests per min (RPM): Limit 500, Used 500, Requested 1.",
            "The model `gpt-4o-mini` does not exist", "HTTP 502", "sk- is a prefix", ""})
    void textWithoutSecretsIsUnchanged(String text) {
        assertThat(redactor.redact(text)).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"The task-specific model is risk-free.", "Use the desk-top client or ask-user mode."})
    void wordsThatMerelyContainAKeyPrefixAreNotKeys(String text) {
        assertThat(redactor.redact(text)).isEqualTo(text);
    }

    @Test
    void nullStaysNull() {
        assertThat(redactor.redact((String) null)).isNull();
    }

    static Stream<Arguments> lengths() {
        return Stream.of(
                Arguments.of(0, 0, false),
                Arguments.of(599, 599, false),
                Arguments.of(600, 600, false),
                Arguments.of(601, 603, true),
                Arguments.of(10_000, 603, true));
    }

    @ParameterizedTest(name = "{0} chars -> {1}")
    @MethodSource("lengths")
    void longTextIsCutAtSixHundredCharacters(int length, int expectedLength, boolean cut) {
        String text = "e".repeat(length);

        String clean = redactor.redact(text);

        assertThat(clean).hasSize(expectedLength);
        if (cut) {
            assertThat(clean).isEqualTo("e".repeat(600) + "...");
        } else {
            assertThat(clean).isEqualTo(text);
        }
    }

    @Test
    void aKeyAcrossTheCutIsRemovedBeforeCutting() {
        String text = "x".repeat(590) + " " + CONFIGURED + " and sk-AbCdEfGhIjKlMnOpQrSt";

        String clean = redactor.redact(text);

        assertThat(clean).doesNotContain("my-int").doesNotContain(CONFIGURED.substring(0, 9));
        // the configured key spans characters 591..622 of the original, across the cut at 600
        assertThat(clean).isEqualTo(("x".repeat(590) + " [redacted] and [redacted]").substring(0, 600) + "...");
    }

    @ParameterizedTest
    @EnumSource(value = FailureClass.class, names = {"AUTH", "RATE_LIMITED", "UNAVAILABLE", "CALLER_FAULT"})
    void aRedactedFailureKeepsItsClassStatusAndRetryAfter(FailureClass failureClass) {
        ProviderFailure failure = new ProviderFailure(failureClass, 429,
                "Incorrect API key provided: sk-abc1*****************wxyz or " + CONFIGURED, Duration.ofSeconds(7));

        ProviderFailure clean = redactor.redact(failure);

        assertThat(clean.getMessage()).isEqualTo("Incorrect API key provided: [redacted] or [redacted]");
        assertThat(clean.failureClass()).isEqualTo(failureClass);
        assertThat(clean.status()).isEqualTo(429);
        assertThat(clean.retryAfter()).hasValue(Duration.ofSeconds(7));
    }

    @Test
    void aRedactedFailureWithoutRetryAfterStaysWithout() {
        ProviderFailure clean = redactor.redact(new ProviderFailure(FailureClass.AUTH, 401,
                "bad key " + CONFIGURED, null));

        assertThat(clean.getMessage()).isEqualTo("bad key [redacted]");
        assertThat(clean.status()).isEqualTo(401);
        assertThat(clean.retryAfter()).isEmpty();
    }

    @Test
    void aFailureWithNothingToRedactIsReturnedAsIs() {
        ProviderFailure failure = new ProviderFailure(FailureClass.UNAVAILABLE, 503, "overloaded",
                Duration.ofSeconds(1));
        ProviderFailure noMessage = new ProviderFailure(FailureClass.CONNECTION, null);

        assertThat(redactor.redact(failure)).isSameAs(failure);
        assertThat(redactor.redact(noMessage)).isSameAs(noMessage);
    }

    @Test
    void aLongFailureMessageIsCut() {
        ProviderFailure failure = new ProviderFailure(FailureClass.CALLER_FAULT, 400, "m".repeat(2000), null);

        assertThat(redactor.redact(failure).getMessage()).hasSize(603).endsWith("...");
    }

    @Test
    void aPieceOfAKeyIsRemovedFromAnswerTextButKeyShapesAreNot() {
        String text = "part " + CONFIGURED.substring(20) + " and sk-proj-example stay apart";

        assertThat(redactor.scrub(text)).isEqualTo("part [redacted] and sk-proj-example stay apart");
    }

    @Test
    void bothHalvesOfAKeyCutInTwoAreRemoved() {
        SecretRedactor twentyChars = new SecretRedactor(List.of("gw-9f8e7d6c5b4a39281"));

        assertThat(twentyChars.scrub("[\"gw-9f8e7d6\",\"c5b4a39281\"]")).isEqualTo("[\"[redacted]\",\"[redacted]\"]");
    }

    @Test
    void aKeyOfWordsIsRemovedOnlyWhole() {
        // pieces of a key made of words, such as "-anthropic", would blank every mention of that provider
        SecretRedactor wordy = new SecretRedactor(List.of("test-key-via-openai", "test-key-via-anthropic"));

        assertThat(wordy.scrub("reply from via-anthropic (model-anthropic) to test-key-via-openai"))
                .isEqualTo("reply from via-anthropic (model-anthropic) to [redacted]");
    }

    /** Every piece of the long key from its shortest length, the short key whole and cut, at both ends of the text. */
    static Stream<String> answerBytes() {
        Stream.Builder<String> texts = Stream.builder();
        for (int length = 8; length <= 12; length++) {
            for (int at = 0; at + length <= CONFIGURED.length(); at += 3) {
                String piece = CONFIGURED.substring(at, at + length);
                texts.add(piece).add("{\"content\":\"" + piece + "\"}").add("answer " + piece);
            }
        }
        return texts.add("").add("tok_short_but_ok").add("{\"a\":\"tok_short_but_ok\"}").add("tok_short_but_o")
                .add("ok_short_but_ok and tok_short_but").add("{\"id\":\"chatcmpl-1\",\"model\":\"gpt\"}")
                .add("été " + CONFIGURED).add(CONFIGURED.substring(0, 9)).build();
    }

    @ParameterizedTest
    @MethodSource("answerBytes")
    void theScanOfAnAnswersBytesFindsWhatTheScanOfItsTextFinds(String text) {
        boolean inText = !redactor.scrub(text).equals(text);

        assertThat(redactor.leaks(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo(inText);
    }

    /**
     * The answer's bytes are sampled a few bytes apart for pieces of every key at once: whichever key, whole or a piece
     * of one, lies wherever in an answer (its first byte, its last, or across each sampling step), the answer leaks and
     * its scrubbed bytes hold none of it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"abcd", "bench-key", "tok_short_but_ok", "sk-proj-Yh3AbCdEfGhIjKlMnOpQrStUv0123456789",
        CONFIGURED})
    void aKeyOrAPieceOfOneIsFoundAtEveryPlaceOfAnAnswerAmongOtherKeys(String key) {
        SecretRedactor many = new SecretRedactor(List.of("abcd", "bench-key", "tok_short_but_ok",
                "sk-proj-Yh3AbCdEfGhIjKlMnOpQrStUv0123456789", CONFIGURED));
        String answer = "{\"id\":\"chatcmpl-bench0001\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"Hello! How can I help you today?\"},\"finish_reason\":\"stop\"}]}";
        // a long key is looked for in pieces too: one of FRAGMENT characters near its end stands for them
        List<String> pieces = key.length() < 2 * SecretRedactor.FRAGMENT ? List.of(key)
                : List.of(key, key.substring(key.length() - 14, key.length() - 14 + SecretRedactor.FRAGMENT));
        for (String piece : pieces) {
            for (int at = 0; at <= answer.length(); at++) {
                String text = answer.substring(0, at) + piece + answer.substring(at);
                byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);

                assertThat(many.leaks(bytes)).as("%s at %d", piece, at).isTrue();
                assertThat(new String(many.scrub(bytes), java.nio.charset.StandardCharsets.UTF_8))
                        .as("%s at %d", piece, at).doesNotContain(piece);
                assertThat(many.scrub(text)).as("%s at %d", piece, at).doesNotContain(piece);
            }
            String alone = "\"" + piece + "\"";
            assertThat(many.leaks(alone.getBytes(java.nio.charset.StandardCharsets.UTF_8))).as(alone).isTrue();
        }
        assertThat(many.leaks(answer.getBytes(java.nio.charset.StandardCharsets.UTF_8))).isFalse();
        assertThat(many.scrub(answer)).isSameAs(answer);
    }

    /**
     * Short keys (looked for whole) in texts over their own few letters, so that near misses abound: at the start, at
     * the end, overlapping themselves, one byte short; the answer's bytes leak exactly when the text holds the key.
     */
    @ParameterizedTest
    @ValueSource(strings = {"aaaa", "abab", "aaab", "baaa", "abcab", "bench-key", "aabaabaaab", "tok_short_but_ok"})
    void aShortKeyIsFoundInAnAnswersBytesExactlyWhereTheTextHoldsIt(String key) {
        SecretRedactor shortKey = new SecretRedactor(List.of(key));
        String letters = key.chars().distinct().collect(StringBuilder::new, StringBuilder::appendCodePoint,
                StringBuilder::append) + "x";
        java.util.Random random = new java.util.Random(key.hashCode());
        int found = 0;
        for (int n = 0; n < 2_000; n++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(3 * key.length());
            for (int i = 0; i < length; i++) {
                text.append(letters.charAt(random.nextInt(letters.length())));
            }
            if (n % 4 == 0) {
                text.insert(random.nextInt(text.length() + 1), key); // at every place, the ends included
            }
            boolean holds = text.toString().contains(key);
            found += holds ? 1 : 0;

            assertThat(shortKey.leaks(text.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)))
                    .as("%s in %s", key, text).isEqualTo(holds);
        }
        assertThat(found).isGreaterThanOrEqualTo(500);
    }

    @Test
    void textWithoutAKeyIsReturnedAsItIs() {
        String text = "nothing to see " + CONFIGURED.substring(0, 9);

        assertThat(redactor.scrub(text)).isSameAs(text);
    }

    /**
     * A provider's answer relayed as it came (pass-through) may spell a key with JSON's escapes: each character as
     * {@code \\u} and four hex digits, or a slash as a backslash and a slash. Its client would read the key, so the
     * relayed bytes are rebuilt without it; an answer whose escapes spell no key is relayed as it came.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5})
    void aKeySpeltWithJsonEscapesInARelayedAnswerIsRemoved(int escapedEvery) throws Exception {
        String key = "sk/live-9F8e7D6c5B4a39281Z";
        SecretRedactor slashed = new SecretRedactor(List.of(key));
        StringBuilder spelt = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            spelt.append(c == '/' ? "\\/" : escapedEvery > 0 && i % escapedEvery == 0
                    ? String.format("\\u%04X", (int) c) : String.valueOf(c));
        }
        for (String answer : List.of("{\"content\":\"" + spelt + "\"}", "{\"content\":\"at the end " + spelt + "\"}",
                "{\"" + spelt + "\":1,\"content\":\"caf\\u00e9 \\/ \\\\u \"}")) {
            byte[] bytes = answer.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();

            assertThat(slashed.leaks(bytes)).as(answer).isTrue();
            assertThat(json.readTree(slashed.scrub(bytes)).toString()).as(answer).doesNotContain(key)
                    .doesNotContain(key.substring(4, 14)).contains("[redacted]");
        }
        byte[] clean = "{\"content\":\"caf\\u00e9 \\/ 9F8e7\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(slashed.leaks(clean)).isFalse();
        assertThat(slashed.scrub(clean)).isSameAs(clean);
    }

    /**
     * A streamed answer relayed event by event: a key at the start or the end of an event's data, spelt with escapes,
     * or cut in two across two events (each half is a piece long enough to be looked for) never reaches the client.
     */
    @Test
    void aStreamedEventsDataLosesAKeyAtItsEndsSpeltWithEscapesOrCutAcrossTwoEvents() {
        String spelt = CONFIGURED.chars().mapToObj(c -> String.format("\\u%04x", c))
                .collect(java.util.stream.Collectors.joining());
        for (String data : List.of(CONFIGURED + " {}", "{\"delta\":\"" + CONFIGURED + "\"}",
                "{\"delta\":{\"content\":\"" + spelt + "\"}}", "{\"" + spelt + "\":\"at the end: " + spelt + "\"}")) {
            assertThat(redactor.scrubJson(data)).as(data).doesNotContain(CONFIGURED).doesNotContain(spelt)
                    .contains("[redacted]");
        }
        // a generated key, whose every stretch looks random (one of words is looked for whole only)
        String generated = "sk-proj-Yh3AbCdEfGhIjKlMnOpQrStUv0123456789";
        SecretRedactor streamed = new SecretRedactor(List.of(generated));
        int half = generated.length() / 2;
        assertThat(streamed.scrubJson("{\"choices\":[{\"delta\":{\"content\":\"key: " + generated.substring(0, half)
                + "\"}}]}")).doesNotContain(generated.substring(0, half)).contains("[redacted]");
        assertThat(streamed.scrubJson("{\"choices\":[{\"delta\":{\"content\":\"" + generated.substring(half)
                + " was it\"}}]}")).doesNotContain(generated.substring(half)).contains("[redacted]");
        String clean = "{\"delta\":{\"content\":\"caf\\u00e9 \\/ ok\"}}";
        assertThat(redactor.scrubJson(clean)).isSameAs(clean);
        assertThat(redactor.scrubJson("[DONE]")).isEqualTo("[DONE]");
    }

    private static final String GENERATED = "sk-proj-Yh3AbCdEfGhIjKlMnOpQrStUv0123456789";

    private static String escaped(String text) {
        return text.chars().mapToObj(c -> String.format("\\u%04x", c)).collect(java.util.stream.Collectors.joining());
    }

    static Stream<Arguments> plainBesideEscaped() {
        int half = GENERATED.length() / 2;
        return Stream.of(
                Arguments.of("a key once plain and once escaped",
                        "{\"delta\":{\"content\":\"" + CONFIGURED + " and " + escaped(CONFIGURED) + "\"}}",
                        List.of(CONFIGURED)),
                Arguments.of("another key plain beside an escaped key",
                        "{\"delta\":{\"content\":\"tok_short_but_ok\"},\"echo\":\"" + escaped(CONFIGURED) + "\"}",
                        List.of("tok_short_but_ok", CONFIGURED)),
                Arguments.of("a key half plain half escaped", "{\"delta\":{\"content\":\"key: "
                        + GENERATED.substring(0, half) + escaped(GENERATED.substring(half)) + "\"}}",
                        List.of(GENERATED.substring(0, half), GENERATED.substring(half))));
    }

    /**
     * A key written plainly vouches for nothing else in the same event or answer: the same key spelt with escapes,
     * another key so spelt, or the rest of the key itself, is read by the client as plainly as the first, and is
     * removed too, from a streamed event's data and from an answer relayed whole.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("plainBesideEscaped")
    void aKeyWrittenPlainlyDoesNotHideOneSpeltWithEscapesBesideIt(String name, String data, List<String> keys)
            throws Exception {
        SecretRedactor three = new SecretRedactor(List.of(CONFIGURED, "tok_short_but_ok", GENERATED));
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String event = three.scrubJson(data);
        String answer = new String(three.scrub(data.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                java.nio.charset.StandardCharsets.UTF_8);

        for (String relayed : List.of(event, answer)) {
            String read = json.readTree(relayed).toString(); // as the client reads it, the escapes decoded
            assertThat(read).as(relayed).contains("[redacted]");
            for (String key : keys) {
                assertThat(read).as(relayed).doesNotContain(key);
            }
        }
    }

    @Test
    void aKeyEscapedInJsonIsFoundOnceTheJsonIsReadAndRemovedFromTheTree() throws Exception {
        StringBuilder escaped = new StringBuilder();
        CONFIGURED.chars().forEach(c -> escaped.append(String.format("\\u%04x", c)));
        byte[] raw = ("{\"id\":\"x\",\"extra\":{\"k\":\"" + escaped + "\"},\"" + CONFIGURED + "\":1}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        byte[] written = json.writeValueAsBytes(json.readTree(raw));

        // escaped, the bytes do not show it, but JSON reads it as the key: a relayed answer must not hold it either
        assertThat(redactor.leaks(("\"" + escaped + "\"").getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isTrue();
        assertThat(redactor.leaks(written)).isTrue(); // once read, JSON writes it plainly
        assertThat(new String(redactor.scrub(written), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"x\",\"extra\":{\"k\":\"[redacted]\"},\"[redacted]\":1}");
    }

    @Test
    void aRecordHoldingAKeyIsRebuiltWithoutItAndOneWithoutIsReturnedAsItIs() {
        dev.caravan.chat.ChatResponse clean = new dev.caravan.chat.ChatResponse("chatcmpl-1", "chat.completion", 1L,
                "m", List.of(), null, null, null);
        dev.caravan.chat.ChatResponse leaking = new dev.caravan.chat.ChatResponse("chatcmpl-1-" + CONFIGURED,
                "chat.completion", 1L, "m", List.of(), null, null,
                new java.util.LinkedHashMap<>(java.util.Map.of("debug", com.fasterxml.jackson.databind.node.TextNode
                        .valueOf("key=" + CONFIGURED))));

        assertThat(redactor.scrub(clean, dev.caravan.chat.ChatResponse.class)).isSameAs(clean);
        dev.caravan.chat.ChatResponse scrubbed = redactor.scrub(leaking, dev.caravan.chat.ChatResponse.class);
        assertThat(scrubbed.id()).isEqualTo("chatcmpl-1-[redacted]");
        assertThat(scrubbed.extra().get("debug").asText()).isEqualTo("key=[redacted]");
        assertThat(scrubbed.created()).isEqualTo(1L);
    }

    @ParameterizedTest(name = "{0} characters of text before the key")
    @ValueSource(ints = {0, 1_900, 5_000})
    void aKeyIsFoundInARecordWhetherItsJsonFitsOneBufferOrSpansSeveral(int before) {
        String padding = "w ".repeat(before / 2);
        for (String key : List.of(CONFIGURED, "tok_short_but_ok")) {
            dev.caravan.chat.ChatResponse leaking = new dev.caravan.chat.ChatResponse("chatcmpl-1", "chat.completion",
                    1L, "m", List.of(), null, null, new java.util.LinkedHashMap<>(java.util.Map.of("debug",
                    com.fasterxml.jackson.databind.node.TextNode.valueOf(padding + "key=" + key))));
            dev.caravan.chat.ChatResponse clean = new dev.caravan.chat.ChatResponse("chatcmpl-1", "chat.completion",
                    1L, "m", List.of(), null, null, new java.util.LinkedHashMap<>(java.util.Map.of("debug",
                    com.fasterxml.jackson.databind.node.TextNode.valueOf(padding + "key=none"))));

            assertThat(redactor.scrub(leaking, dev.caravan.chat.ChatResponse.class).extra().get("debug").asText())
                    .as(key).isEqualTo(padding + "key=[redacted]");
            assertThat(redactor.scrub(clean, dev.caravan.chat.ChatResponse.class)).as(key).isSameAs(clean);
        }
    }

    @Test
    void aLongKeyOfWordsIsRemovedWhole() {
        SecretRedactor wordy = new SecretRedactor(List.of("correct-horse-battery-staple", "test-key-via-anthropic"));

        assertThat(wordy.scrub("a correct-horse-battery-staple and test-key-via-anthropic, but a battery-staple"))
                .isEqualTo("a [redacted] and [redacted], but a battery-staple");
        assertThat(wordy.scrubJson("{\"a\":\"test-key-via-anthropic\"}")).isEqualTo("{\"a\":\"[redacted]\"}");
        assertThat(wordy.leaks("{\"a\":\"correct-horse-battery-staple\"}".getBytes())).isTrue();
    }

    static Stream<String> streamedKeys() {
        return Stream.of("correct-horse-battery-staple", "test-key-oa", GENERATED, "tok_short_but_ok");
    }

    /**
     * A key cut in two, and in three, across a stream's texts at every place comes out as [redacted]: whole, or, for
     * a generated key cut within its first {@value SecretRedactor#FRAGMENT} characters (not held back: no piece), as
     * those characters and its rest redacted. No piece of it reaches the client.
     */
    @ParameterizedTest
    @MethodSource("streamedKeys")
    void aKeyCutAcrossAStreamsTextsAtEveryPlaceIsRemovedWhole(String key) {
        SecretRedactor keys = new SecretRedactor(List.of(key, "zq-other-Zq81xPw0Lm", "abcab"));
        boolean generated = key.equals(GENERATED);
        for (int at = 1; at < key.length(); at++) {
            String expected = "key: " + (generated && at < SecretRedactor.FRAGMENT ? key.substring(0, at) : "")
                    + "[redacted] is it";
            SecretRedactor.StreamText text = keys.streamText();
            List<String> passed = List.of(text.pass("key: " + key.substring(0, at)),
                    text.pass(key.substring(at) + " is it"), text.release());
            assertThat(String.join("", passed)).as("cut after " + at).isEqualTo(expected);
            for (int second = at + 1; second < key.length(); second++) {
                SecretRedactor.StreamText three = keys.streamText();
                String all = three.pass("key: " + key.substring(0, at)) + three.pass(key.substring(at, second))
                        + three.pass(key.substring(second)) + three.pass(" is it") + three.release();
                assertThat(all).as("cut after " + at + " and " + second).doesNotContain(key)
                        .endsWith("[redacted] is it");
                for (int piece = 0; piece + SecretRedactor.FRAGMENT <= key.length(); piece++) {
                    assertThat(all).as("cut after " + at + " and " + second)
                            .doesNotContain(key.substring(piece, piece + SecretRedactor.FRAGMENT));
                }
                if (!generated) {
                    assertThat(all).as("cut after " + at + " and " + second).isEqualTo(expected);
                }
            }
        }
    }

    /**
     * A client's key never reaches a provider, so no provider writes it cut across two events: text that may begin one
     * passes at once, and the key is still removed where found whole.
     */
    @Test
    void aStreamDoesNotWaitOnTextThatMayBeginOnlyAClientsKey() {
        SecretRedactor keys = new SecretRedactor(List.of("test-key-oa"), List.of("simulated-key-client"));
        SecretRedactor.StreamText text = keys.streamText();

        String yes = "Yes";
        assertThat(text.pass(yes)).isSameAs(yes);
        assertThat(text.holding()).isFalse();
        assertThat(text.pass("and simulated-key-client, ")).isEqualTo("and [redacted], ");
        assertThat(keys.scrub("a simulated-key-client")).isEqualTo("a [redacted]");
        // a provider's key still holds back what may begin it
        assertThat(text.pass("then te")).isEqualTo("then ");
        assertThat(text.holding()).isTrue();
    }

    @Test
    void textThatCannotBeginAKeyPassesAtOnceAsItIs() {
        SecretRedactor keys = new SecretRedactor(List.of("test-key-oa", GENERATED));
        SecretRedactor.StreamText text = keys.streamText();

        String words = "a story of keys and horses, ";
        assertThat(text.pass(words)).isSameAs(words);
        assertThat(text.holding()).isFalse();
        // only the end that may begin a key waits, and passes once the next text rules the key out
        assertThat(text.pass("then te")).isEqualTo("then ");
        assertThat(text.pass("sted ")).isEqualTo("tested ");
        // a generated key's public start is no piece of it: not held back
        assertThat(text.pass("; sk-pro")).isEqualTo("; sk-pro");
        assertThat(text.pass("se; the sk-proj-Yh")).isEqualTo("se; the ");
        assertThat(text.pass("drangea")).isEqualTo("[redacted]drangea"); // ten characters of it are a piece
        assertThat(text.release()).isEmpty();
        // the two keys overlapping: the one found whole goes, what follows it may begin the other
        SecretRedactor overlapping = new SecretRedactor(List.of("cat-xyz", "xyz-dog"));
        SecretRedactor.StreamText both = overlapping.streamText();
        assertThat(both.pass("a cat-xyz")).isEqualTo("a [redacted]");
        assertThat(both.pass("-dog")).isEqualTo("-dog");
    }

    @Test
    void theBeginningOfAKeyThatNothingCompletesIsReleasedAndTheRestOfItAfterIsRemoved() {
        SecretRedactor keys = new SecretRedactor(List.of("test-key-via-anthropic"));

        SecretRedactor.StreamText shortStart = keys.streamText();
        assertThat(shortStart.pass("see test-key")).isEqualTo("see ");
        assertThat(shortStart.release()).isEqualTo("test-key");
        // the text went on after all (after a tool call, a block's end): the key's rest goes
        assertThat(shortStart.pass("-via-anthropic, done")).isEqualTo("[redacted], done");

        SecretRedactor.StreamText longStart = keys.streamText();
        assertThat(longStart.pass("see test-key-via-an")).isEqualTo("see ");
        assertThat(longStart.release()).isEqualTo("[redacted]");
    }
}
