import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.chat.ChatRequest;
import dev.caravan.chat.ChatRequestReader;

/**
 * CPU time per request of reading and checking a chat request (strict JSON, the request schema, binding), against
 * Jackson's bare parse and bind. Run from the repository root after a package:
 * {@code java -cp target/caravan.jar bench/RequestCheck.java [iterations]}.
 */
public class RequestCheck {

    static final String SMALL = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}";

    static final String FULL = """
            {"model":"fast","messages":[{"role":"system","content":"Be brief.","name":"rules"},
             {"role":"developer","content":[{"type":"text","text":"Answer in English."}]},
             {"role":"user","name":"alice","content":[{"type":"text","text":"What is on this picture?"},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.png","detail":"low"}}]},
             {"role":"assistant","content":"Let me look.","tool_calls":[{"id":"call_1","type":"function",
              "function":{"name":"lookup","arguments":"{\\"q\\":\\"cat\\"}"}}]},
             {"role":"tool","tool_call_id":"call_1","content":"a cat"}],
             "stream":false,"max_tokens":64,"temperature":0.7,"top_p":0.9,"n":1,"presence_penalty":0.5,
             "frequency_penalty":-0.5,"logprobs":true,"top_logprobs":2,"logit_bias":{"50256":-100},"seed":42,
             "user":"user-1234","metadata":{"team":"search"},"stop":["END","STOP"],
             "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"}}},
             "tools":[{"type":"function","function":{"name":"lookup","description":"Looks up a word.",
              "parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],
             "tool_choice":{"type":"function","function":{"name":"lookup"}}}
            """;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        ObjectMapper json = new ObjectMapper();
        ChatRequestReader reader = new ChatRequestReader(json, Set.of("fast"), 4 << 20, Set.of("cost"), Set.of("a"));
        var cpu = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.println("body bytes | checked read (us CPU, bytes allocated) | bare parse + bind (us CPU, bytes)");
        for (String text : new String[] {SMALL, FULL}) {
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            double checked = 0;
            double bare = 0;
            long checkedBytes = 0;
            long bareBytes = 0;
            for (int round = 0; round < 5; round++) { // the last round counts; the others warm the JIT
                long a0 = cpu.getCurrentThreadAllocatedBytes();
                long t0 = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    reader.read(body);
                }
                long t1 = cpu.getCurrentThreadCpuTime();
                long a1 = cpu.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < n; i++) {
                    json.treeToValue(json.readTree(body), ChatRequest.class);
                }
                long t2 = cpu.getCurrentThreadCpuTime();
                long a2 = cpu.getCurrentThreadAllocatedBytes();
                checked = (t1 - t0) / 1e3 / n;
                bare = (t2 - t1) / 1e3 / n;
                checkedBytes = (a1 - a0) / n;
                bareBytes = (a2 - a1) / n;
            }
            System.out.printf("%10d | %17.1f us %10d B | %17.1f us %6d B%n", body.length, checked, checkedBytes, bare,
                    bareBytes);
        }
    }
}
