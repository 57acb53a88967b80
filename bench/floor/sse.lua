-- wrk script: POST one small streamed OpenAI chat request (the simulator answers 40 content events for this
-- prompt, then [DONE]); wrk counts a response when its chunked body ends. Prints the same summary line as post.lua.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key"  -- the simulator wants a key; the floors send their own
wrk.body = '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 w21 w22 w23 w24 w25 w26 w27 w28 w29 w30 w31 w32 w33 w34"}]}'

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT %d %.1f %.3f %.3f %d %d %d %.2f\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write, e.timeout, secs))
end
