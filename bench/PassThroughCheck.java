import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.metrics.MeterMemo;
import dev.caravan.passthrough.UpstreamBody;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * CPU time and bytes allocated per call of the gateway's own steps on a passed-through chat completion, one thread,
 * no gateway: the answer's summary (id, model, finish reasons, usage) read from the overhead bench's answer, the
 * request spliced for its target (model replaced; a streamed one with a caravan object cut and usage asked), the
 * request's whole edge (read and checked, then spliced: where the read noted its fields when the build has
 * {@code BodyFields}, scanned again otherwise), and a meter looked up by three tag values. Run from the repository root after a package:
 * {@code java -cp target/caravan.jar bench/PassThroughCheck.java [iterations]}; give another build's jar to compare.
 */
public class PassThroughCheck {

    /** The overhead bench's answer (bench/lib.sh, BENCH_COMPLETION). */
    static final String ANSWER = "{\"id\":\"chatcmpl-bench0001\",\"object\":\"chat.completion\",\"created\":1735689600,"
            + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + "\"Hello! How can I help you today?\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":9,\"total_tokens\":17,\"prompt_tokens_details\":"
            + "{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}},"
            + "\"system_fingerprint\":\"fp_bench\"}";
    static final String REQUEST = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String STREAMED = "{\"model\":\"fast\",\"caravan\":{\"policy\":\"cost\"},\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.2}";

    interface Step {
        void run() throws Throwable;
    }

    public static void main(String[] args) throws Throwable {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        ObjectMapper json = new ObjectMapper();
        Class<?> summary = Class.forName("dev.caravan.passthrough.ChatSummary");
        MethodHandle of = MethodHandles.privateLookupIn(summary, MethodHandles.lookup()).findStatic(summary, "of",
                MethodType.methodType(dev.caravan.chat.ChatResponse.class, ObjectMapper.class, byte[].class,
                        String.class));
        byte[] answer = ANSWER.getBytes(StandardCharsets.UTF_8);
        byte[] request = REQUEST.getBytes(StandardCharsets.UTF_8);
        byte[] streamed = STREAMED.getBytes(StandardCharsets.UTF_8);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MeterMemo<Counter> attempts = new MeterMemo<>(t -> registry.counter("attempts", "provider", t.get(0), "model",
                t.get(1), "outcome", t.get(2)));
        String[] providers = {"openai", "groq", "together"};
        int[] turn = {0};
        measure("answer summary (ChatSummary.of, 446-byte answer)", n, () -> of.invoke(json, answer, "gpt-4o-mini"));
        measure("request for the target (UpstreamBody.of, one-line request)", n,
                () -> UpstreamBody.of(request, "gpt-4o-mini", false, json));
        measure("streamed request, caravan cut, usage asked (UpstreamBody.of)", n,
                () -> UpstreamBody.of(streamed, "gpt-4o-mini", true, json));
        measure("request read, then spliced (ChatRequestReader + UpstreamBody)", n, readAndSplice(json, request));
        measure("meter by three tag values (MeterMemo.get)", n,
                () -> attempts.get(providers[turn[0]++ % 3], "gpt-4o-mini", "served").increment());
    }

    /**
     * The request's whole edge as the gateway does it: the one-line request read and checked, then spliced for its
     * target, with the fields the read noted (dev.caravan.chat.BodyFields, when this build has it) or scanned again.
     */
    static Step readAndSplice(ObjectMapper json, byte[] request) throws Throwable {
        var reader = new dev.caravan.chat.ChatRequestReader(json, java.util.Set.of("fast"), 4 << 20,
                java.util.Set.of("cost"), java.util.Set.of("a"));
        Class<?> fields;
        try {
            fields = Class.forName("dev.caravan.chat.BodyFields");
        } catch (ClassNotFoundException before) {
            System.out.println("(this build scans the request again to splice it)");
            return () -> {
                reader.read(request);
                UpstreamBody.of(request, "gpt-4o-mini", false, json);
            };
        }
        var lookup = MethodHandles.publicLookup();
        MethodHandle make = lookup.findConstructor(fields, MethodType.methodType(void.class));
        MethodHandle read = lookup.findVirtual(dev.caravan.chat.ChatRequestReader.class, "read",
                MethodType.methodType(dev.caravan.chat.ChatRequest.class, byte[].class, fields));
        MethodHandle splice = lookup.findStatic(UpstreamBody.class, "of", MethodType.methodType(byte[].class,
                byte[].class, fields, String.class, boolean.class, ObjectMapper.class));
        return () -> {
            Object noted = make.invoke();
            read.invoke(reader, request, noted);
            splice.invoke(request, noted, "gpt-4o-mini", false, json);
        };
    }

    static void measure(String what, int n, Step step) throws Throwable {
        var cpu = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        double us = 0;
        double bytes = 0;
        for (int round = 0; round < 5; round++) { // the last round counts; the others warm the JIT
            long a0 = cpu.getCurrentThreadAllocatedBytes();
            long t0 = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                step.run();
            }
            us = (cpu.getCurrentThreadCpuTime() - t0) / 1e3 / n;
            bytes = (double) (cpu.getCurrentThreadAllocatedBytes() - a0) / n;
        }
        System.out.printf("%-62s %8.3f us CPU %8.0f B allocated%n", what, us, bytes);
    }
}
