import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.provider.SecretRedactor;

/**
 * What reading a passed-through answer costs per answer, in bytes allocated (the thread's own counter, which load does
 * not move) and in nanoseconds (only comparable between builds run back to back on a quiet machine): the summary the
 * gateway reads of a chat.completion (ChatSummary, package-private, called by reflection) and the redactor's scan of
 * the answer's bytes for a short key (the bench's) and for a long one. The answer is the overhead bench's
 * (bench/lib.sh BENCH_COMPLETION). Run with the gateway's jar on the class path:
 *     java -cp target/caravan.jar bench/AnswerReadBench.java [TASK N]
 * With a task (summary, short, long) and a count, runs only that task N times after its warm-up, for a count of the
 * CPU's instructions that load does not move: perf stat -e instructions:u at N and at 0, the difference over N.
 */
public class AnswerReadBench {

    static final byte[] ANSWER = ("{\"id\":\"chatcmpl-bench0001\",\"object\":\"chat.completion\",\"created\":1735689600,"
            + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + "\"Hello! How can I help you today?\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":9,\"total_tokens\":17,\"prompt_tokens_details\":"
            + "{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}},"
            + "\"system_fingerprint\":\"fp_bench\"}").getBytes(StandardCharsets.UTF_8);

    interface Task {
        Object run() throws Throwable;
    }

    public static void main(String[] args) throws Throwable {
        ObjectMapper json = new ObjectMapper();
        Method of = Class.forName("dev.caravan.passthrough.ChatSummary")
                .getDeclaredMethod("of", ObjectMapper.class, byte[].class, String.class);
        of.setAccessible(true);
        MethodHandle summary = MethodHandles.lookup().unreflect(of);
        SecretRedactor shortKey = new SecretRedactor(List.of("bench-key"));
        // a key of OpenAI's shape, its random part drawn here from a fixed seed: nothing shaped like a real key is kept
        // in the repository, where a secret scanner would take it for one
        SecretRedactor longKey = new SecretRedactor(List.of("sk-proj-" + new java.util.Random(42).ints(35, 0, 36)
                .mapToObj(i -> Character.toString(Character.forDigit(i, 36))).collect(java.util.stream.Collectors.joining())));
        Task summaryTask = () -> summary.invoke(json, ANSWER, "gpt-4o-mini");
        Task shortTask = () -> shortKey.scrub(ANSWER);
        Task longTask = () -> longKey.scrub(ANSWER);
        if (args.length == 2) {
            Task task = switch (args[0]) {
                case "summary" -> summaryTask;
                case "short" -> shortTask;
                default -> longTask;
            };
            for (int i = 0; i < 200_000; i++) {
                task.run();
            }
            for (long i = Long.parseLong(args[1]); i > 0; i--) {
                task.run();
            }
            return;
        }
        measure("ChatSummary.of", summaryTask);
        measure("SecretRedactor.scrub, short key", shortTask);
        measure("SecretRedactor.scrub, long key", longTask);
    }

    static void measure(String name, Task task) throws Throwable {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 200_000; i++) {
            task.run(); // warm-up: compiled before it is measured
        }
        int n = 1_000_000;
        long bytes = threads.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            task.run();
        }
        long nanos = System.nanoTime() - start;
        bytes = threads.getCurrentThreadAllocatedBytes() - bytes;
        System.out.printf("%-34s %7.1f B/answer %8.1f ns/answer%n", name, (double) bytes / n, (double) nanos / n);
    }
}
