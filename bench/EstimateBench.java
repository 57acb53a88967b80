import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import dev.caravan.cost.TokenEstimator;

/**
 * Prompt estimation cost by input shape and size: for each size, the median time and the bytes allocated by one
 * TokenEstimator.estimate call (gpt-4o, o200k_base), and the estimate it gave. One line per size, printed as soon
 * as it is measured, so a size that never finishes still leaves the smaller ones.
 * Run with the gateway's jar on the class path: java -cp target/caravan.jar bench/EstimateBench.java SHAPE SIZES...
 * SHAPE: prose (English-like words and spaces), word (one word of random letters), unicode (random code points of
 * every plane, no spaces), char (one character repeated). SIZES in bytes of UTF-8, e.g. 1024 65536 4194304.
 */
public class EstimateBench {

    public static void main(String[] args) {
        String shape = args[0];
        TokenEstimator estimator = new TokenEstimator();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        estimator.estimate(request("warm up the encodings"), "openai", "gpt-4o");
        for (int i = 1; i < args.length; i++) {
            int size = Integer.parseInt(args[i]);
            String text = text(shape, size);
            ChatRequest request = request(text);
            // fewer repeats for big inputs: each is seconds long before the fix
            int repeats = size <= 65_536 ? 21 : size <= 1 << 20 ? 5 : 3;
            long[] nanos = new long[repeats];
            long[] allocated = new long[repeats];
            TokenEstimator.Estimate estimate = null;
            for (int r = 0; r < repeats; r++) {
                long bytesBefore = threads.getCurrentThreadAllocatedBytes();
                long start = System.nanoTime();
                estimate = estimator.estimate(request, "openai", "gpt-4o");
                nanos[r] = System.nanoTime() - start;
                allocated[r] = threads.getCurrentThreadAllocatedBytes() - bytesBefore;
            }
            Arrays.sort(nanos);
            Arrays.sort(allocated);
            System.out.printf("RESULT shape=%s bytes=%d chars=%d ms=%.2f alloc_mb=%.1f tokens=%d approximate=%s%n",
                    shape, size, text.length(), nanos[repeats / 2] / 1e6, allocated[repeats / 2] / 1e6,
                    estimate.promptTokens(), estimate.approximate());
        }
    }

    private static ChatRequest request(String text) {
        return new ChatRequest("gpt-4o", List.of(ChatMessage.of("user", text)), null, null, null, null, null, null,
                null, null, null, null);
    }

    /** About {@code bytes} bytes of UTF-8 of the given shape; seeded, so every run measures the same text. */
    static String text(String shape, int bytes) {
        SplittableRandom random = new SplittableRandom(42);
        StringBuilder out = new StringBuilder();
        int length = 0;
        while (length < bytes) {
            int cp = switch (shape) {
                case "prose" -> random.nextInt(6) == 0 ? ' ' : 'a' + random.nextInt(26);
                case "word" -> 'a' + random.nextInt(26);
                case "char" -> 'a';
                case "unicode" -> {
                    int c;
                    do {
                        c = random.nextInt(0x30000);
                    } while (!Character.isDefined(c) || Character.getType(c) == Character.SURROGATE
                            || Character.getType(c) == Character.PRIVATE_USE || Character.isWhitespace(c));
                    yield c;
                }
                default -> throw new IllegalArgumentException("shape: prose, word, unicode or char");
            };
            out.appendCodePoint(cp);
            length += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        }
        return out.toString();
    }
}
