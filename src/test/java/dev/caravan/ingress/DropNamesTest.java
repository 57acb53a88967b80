package dev.caravan.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DropNamesTest {

    @Test
    void twinsGetAnswersOfTheirOwn() {
        assertThat(DropNames.answer("twin.txt")).isEqualTo("twin.txt.json");
        assertThat(DropNames.answer("twin.json")).isEqualTo("twin.json.json");
    }

    @Test
    void onlyVisibleJsonAndTextNamesAreRequests() {
        assertThat(DropNames.isRequest("q.json")).isTrue();
        assertThat(DropNames.isRequest("q.txt")).isTrue();
        assertThat(DropNames.isRequest("q.json.part")).isFalse();
        assertThat(DropNames.isRequest(".q.json")).isFalse();
        assertThat(DropNames.isRequest("q.JSON")).isFalse();
        assertThat(DropNames.isRequest("line\nbreak.txt")).as("a line break does not hide a request").isTrue();
    }

    @Test
    void aNameIsTakenUpToTheLengthItsLockMarkerAndAnswerFitBeside() {
        String longest = "x".repeat(DropNames.MAX_INBOX_NAME_BYTES - 4) + ".txt";
        assertThat(DropNames.problem(longest)).isEmpty();
        assertThat(DropNames.utf8Length(longest + DropNames.LOCK_SUFFIX)).isEqualTo(255);
        assertThat(DropNames.problem("x" + longest)).hasValueSatisfying(p -> assertThat(p).contains("246 bytes"));
        // counted in bytes, not characters: 121 two-byte letters and ".txt" are 246 bytes
        assertThat(DropNames.problem("é".repeat(121) + ".txt")).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\nb.txt", "tab\there.json", "bell\u0007.txt", "del\u007f.txt", "c1\u0085.txt"})
    void controlCharactersInANameAreRefused(String name) {
        assertThat(DropNames.problem(name)).hasValueSatisfying(p -> assertThat(p).contains("control characters"));
    }

    @Test
    void oddButHarmlessNamesAreTaken() {
        assertThat(DropNames.problem("-rf --help.txt")).isEmpty();
        assertThat(DropNames.problem("spaces and ünïcödé ✓ 🚀.json")).isEmpty();
    }

    @Test
    void aReasonNameIsTheWholeNameWhenItFits() {
        assertThat(DropNames.reason("q.json")).isEqualTo("q.json.error.json");
    }

    @Test
    void aReasonNameTooLongIsCutDeterministicallyAndKeepsLongNamesApart() {
        String a = "é".repeat(120) + "a.txt";
        String b = "é".repeat(120) + "b.txt";
        String reasonA = DropNames.reason(a);

        assertThat(reasonA.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(reasonA).endsWith(".error.json").startsWith("éé").contains("~");
        assertThat(DropNames.reason(a)).isEqualTo(reasonA);
        assertThat(DropNames.reason(b)).isNotEqualTo(reasonA);
        // cut on a character boundary: the name decodes back unchanged
        assertThat(new String(reasonA.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(reasonA);
        assertThat(reasonA.chars().filter(c -> c == '\uFFFD')).isEmpty();
    }

    @Test
    void aReasonNameCutsAnAstralCharacterWhole() {
        String name = "🚀".repeat(62) + ".txt"; // 252 bytes
        String reason = DropNames.reason(name);

        assertThat(reason.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(reason.codePoints().filter(cp -> cp >= 0xD800 && cp <= 0xDFFF)).as("no half of a pair").isEmpty();
    }

    @Test
    void aPrintableNameCannotBreakALogLine() {
        assertThat(DropNames.printable("evil\nINFO forged.txt")).isEqualTo("\"evil\\u000aINFO forged.txt\"");
    }

    @Test
    void aShownNameHidesNothingAReaderCannotSee() {
        // a right-to-left override (U+202E) after "invoice" would show "invoice?gnp.json" as "invoicenosj.png"
        assertThat(DropNames.shown("invoice\u202egnp.json")).isEqualTo("invoice\\u202egnp.json");
        assertThat(DropNames.shown("a\u2028b\u00a0c\u200bd\ue000.txt"))
                .isEqualTo("a\\u2028b\\u00a0c\\u200bd\\ue000.txt");
        assertThat(DropNames.shown("tag\udb40\udc01.txt")).as("a format mark beyond the BMP, as its pair")
                .isEqualTo("tag\\udb40\\udc01.txt");
        // a backslash is doubled, so that typed text never passes for an escape
        assertThat(DropNames.shown("a\\u202e.txt")).isEqualTo("a\\\\u202e.txt");
        String plain = "with spaces and ünïcödé ✓ 日本.txt";
        assertThat(DropNames.shown(plain)).as("what a reader sees as itself is kept").isEqualTo(plain);
    }

    @Test
    void aShownNameIsCutWholeEscapesAtItsLimit() {
        String name = "x" + "\u202e".repeat(70) + ".json"; // 216 bytes: a name the inbox takes

        String shown = DropNames.shown(name);

        assertThat(shown).hasSizeLessThanOrEqualTo(DropNames.SHOWN_NAME + 3).endsWith("...")
                .startsWith("x\\u202e").doesNotContain("\u202e");
        assertThat(shown.substring(0, shown.length() - 3)).matches("x(\\\\u202e)+");
        assertThat(DropNames.printable(name)).isEqualTo('"' + shown + '"');
    }
}
