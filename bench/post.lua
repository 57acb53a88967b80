-- wrk script: POST one small OpenAI chat request, then print a machine-readable summary line.
-- Non-2xx answers are counted by wrk itself ("Non-2xx or 3xx responses"); done() prints them too.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"fast","messages":[{"role":"user","content":"hi"}]}'
-- WRK_BODY_FILE: post that file's bytes instead (overhead.sh's REQUEST_BYTES writes one)
local body_file = os.getenv("WRK_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  -- RESULT requests rps p50_ms p99_ms non2xx socket_errors(connect+read+write) timeouts duration_s
  io.write(string.format("RESULT %d %.1f %.3f %.3f %d %d %d %.2f\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write, e.timeout, secs))
  -- TAIL p90_ms p99.9_ms max_ms: the far end of the distribution, on a line of its own (RESULT's fields are positional)
  io.write(string.format("TAIL %.3f %.3f %.3f\n", latency:percentile(90) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000))
end
