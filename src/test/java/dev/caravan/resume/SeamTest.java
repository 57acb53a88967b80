package dev.caravan.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SeamTest {

    /** Feeds the continuation piece by piece, as a stream delivers it, and returns what the client gets. */
    private static String joined(String sent, List<String> pieces) {
        Seam seam = new Seam(sent);
        StringBuilder out = new StringBuilder(sent);
        pieces.forEach(p -> out.append(seam.offer(p)));
        return out.append(seam.flush()).toString();
    }

    @ParameterizedTest(name = "[{index}] ''{0}'' + ''{1}''")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            // the continuation repeats the last words
            "The cat sat on the|\" on the mat.\"|The cat sat on the mat.",
            "The cat sat on the|the mat.|The cat sat on the mat.",
            // a prefill stripped of its trailing space is continued with one
            "\"The cat sat \"|\" on the mat.\"|The cat sat on the mat.",
            // cut mid-word, the word is written again whole
            "The cat sat on the ma|mat.|The cat sat on the mat.",
            // nothing repeated
            "The cat sat|\" on the mat.\"|The cat sat on the mat.",
            // same letter at the seam, but not a repeated word: kept
            "We need 10|0 more.|We need 100 more.",
            "Total: 12|23 items|Total: 1223 items",
    })
    void dropsWhatTheContinuationRepeats(String sent, String continuation, String expected) {
        assertThat(joined(sent, List.of(continuation))).isEqualTo(expected);
    }

    @Test
    void holdsTheBeginningWhileItMayStillGrowIntoARepetition() {
        Seam seam = new Seam("I like the cat and the");

        assertThat(seam.offer(" the")).as("' the' occurs earlier too: ' the cat' is still possible").isEmpty();
        assertThat(seam.decided()).isFalse();
        assertThat(seam.offer(" dog")).isEqualTo(" dog");
        assertThat(seam.trimmed()).isEqualTo(4);
        assertThat(seam.offer(" barked.")).as("once decided, pieces pass as they are").isEqualTo(" barked.");
    }

    @Test
    void aLongRepetitionArrivingInSmallPiecesIsDroppedWhole() {
        String sent = "Once upon a time there was a fox who lived in the";
        assertThat(joined(sent, List.of(" fox", " who", " lived", " in", " the", " woods", "."))).isEqualTo(
                "Once upon a time there was a fox who lived in the woods.");
    }

    @Test
    void aContinuationThatEndsInsideTheOverlapAddsNothing() {
        assertThat(joined("It was late.", List.of(" late."))).isEqualTo("It was late.");
    }

    @Test
    void aPieceThatCannotRepeatAnythingIsReleasedAtOnce() {
        Seam seam = new Seam("The cat sat");
        assertThat(seam.offer(" quietly")).isEqualTo(" quietly");
        assertThat(seam.trimmed()).isZero();
    }

    @Test
    void onlyTheLastWindowOfALongTextIsCompared() {
        String sent = "word ".repeat(1000) + "end";
        assertThat(Seam.overlap(sent, " end of it")).isEqualTo(4);
        String tail = "word ".repeat(50) + "end"; // 253 characters
        assertThat(Seam.overlap(sent, tail)).as("a repetition longer than the window is not looked for").isZero();
        String lastWords = tail.substring(tail.length() - 198); // "word word ... end", within the window
        assertThat(Seam.overlap(sent, lastWords)).isEqualTo(198);
    }
}
