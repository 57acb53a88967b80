import dev.caravan.provider.SecretRedactor;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What holding back a stream's text costs ({@code SecretRedactor.StreamText}, the overlap that removes a key cut
 * across two events): bytes allocated per piece of text, and the share of pieces whose end was held back (each such
 * piece, and the one after it, leaves as a rebuilt chunk on the translated path and as a rewritten event when passed
 * through). The pieces are tokens of English text as models stream them (" the", " story", "."), the keys shaped as
 * OpenAI's, Anthropic's and Gemini's, plus one of words. One thread, no gateway:
 *
 *   java -cp target/caravan.jar bench/StreamTextAlloc.java [rounds]
 */
public class StreamTextAlloc {

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        String prose = "Once upon a time, in a quiet village by the sea, there lived an old keeper of lighthouses. "
                + "Every evening she climbed the stairs, trimmed the wicks and watched the ships pass. Sailors told "
                + "stories of her patience, and children asked her questions about storms, stars and distant ports. "
                + "She answered each of them kindly: the sea keeps its secrets, but it rewards those who listen.";
        List<String> tokens = new ArrayList<>();
        for (String word : prose.split(" ")) {
            // a model's tokens carry the space before a word, and punctuation apart
            String w = " " + word;
            if (w.endsWith(",") || w.endsWith(".") || w.endsWith(":")) {
                tokens.add(w.substring(0, w.length() - 1));
                tokens.add(w.substring(w.length() - 1));
            } else {
                tokens.add(w);
            }
        }
        // keys of the shapes OpenAI, Anthropic and Google issue, their random parts made here from a fixed seed: nothing
        // shaped like a real key is kept in the repository, where a secret scanner would take it for one
        Random seeded = new Random(42);
        List<String> generated = List.of("sk-proj-" + randomPart(seeded, 35), "sk-ant-api03-" + randomPart(seeded, 32),
                "AIza" + randomPart(seeded, 35));
        List<String> withWords = new ArrayList<>(generated);
        withWords.add("test-key-openai"); // a key of words is held back from its first letter on
        // the gateway's own configuration: the provider keys held back, a client's key (of words) only scrubbed
        List<String> clientKey = List.of("test-key-openai");
        for (List<String> configured : List.of(generated.subList(0, 1), generated, withWords, clientKey)) {
            SecretRedactor redactor = configured == clientKey ? new SecretRedactor(generated, clientKey)
                    : new SecretRedactor(configured);
            run(redactor, tokens, rounds / 10); // warm-up
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            long held = run(redactor, tokens, rounds);
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            long pieces = (long) rounds * tokens.size();
            System.err.printf("%d key(s)%s: %.1f bytes per piece, %.1f %% of pieces leave changed (an end held back, or what was held in front)%n",
                    configured == clientKey ? 4 : configured.size(), configured == withWords ? " (one of words)"
                            : configured == clientKey ? " (three providers', one client's of words)" : "", (double) bytes / pieces, 100.0 * held / pieces);
        }
    }

    /** Streams the tokens {@code rounds} times, one StreamText per stream; returns the pieces cut. */
    private static long run(SecretRedactor redactor, List<String> tokens, int rounds) {
        long held = 0;
        long sink = 0;
        for (int r = 0; r < rounds; r++) {
            SecretRedactor.StreamText text = redactor.streamText();
            for (String token : tokens) {
                String out = text.pass(token);
                if (out != token) {
                    held++;
                }
                sink += out.length();
            }
            sink += text.release().length();
        }
        if (sink == 42) {
            System.err.println();
        }
        return held;
    }

    /** {@code length} letters and digits drawn from {@code random}, as the random part of a provider's key. */
    static String randomPart(Random random, int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder part = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            part.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return part.toString();
    }
}
