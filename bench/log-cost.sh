#!/usr/bin/env bash
# What the request log costs per request, in figures a busy machine does not distort: the overhead bench's fake
# upstream (nginx answering a fixed chat.completion), Caravan in front of it, then
#   1. a wrk run with the JVM's per-thread CPU read from /proc before and after: each thread group's share;
#   2. a wrk run under `strace -c -f`: futex and write system calls per request, all threads together;
#   3. IDLE seconds at rest: CPU ticks and system calls of the request log's writer thread (expected: none).
#
#   bench/log-cost.sh                            # 64 connections, 45 s warm-up, 15 s per measured run
#   GATEWAY_PROPS=-Dcaravan.log.requests=log4j bench/log-cost.sh   # the lines through Log4j's asynchronous appender
#
# Syscalls under strace are far slower, so run 2 serves fewer requests per second than run 1; what a batching
# writer saves depends on the rate (lines per batch), so the table gives both runs' rates.
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-45s}  # C2 still compiles for long on a busy machine
IDLE=${IDLE:-10}
CONNS=${CONNS:-64}
RESULTS_DIR=${RESULTS_DIR:-}
GATEWAY_PROPS=${GATEWAY_PROPS:-}  # extra -D options for Caravan

bound_run_time $(( 2 * ${DURATION%s} + ${WARMUP%s} + IDLE + 480 )) "$0" "$@"
ensure_tools
command -v strace >/dev/null || die "strace is needed (apt-get install strace)"
ensure_jar
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_fake_upstream

start_caravan_on_fake caravan

t=$((CONNS == 1 ? 1 : 2))
URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
log "warm-up $WARMUP at $CONNS connection(s)"
run_wrk warmup "$t" "$CONNS" "$WARMUP" "$URL" >/dev/null

thread_ticks "$GW_PID" >"$RUN_DIR/threads-before"
log "CPU by thread, $DURATION at $CONNS connection(s)"
read -r n1 rps1 _ <<<"$(run_wrk cpu "$t" "$CONNS" "$DURATION" "$URL")"
thread_ticks "$GW_PID" >"$RUN_DIR/threads-after"
thread_ticks_diff "$RUN_DIR/threads-before" "$RUN_DIR/threads-after" >"$RUN_DIR/threads.txt"

log "system calls under strace, $DURATION at $CONNS connection(s)"
strace -c -f -q -p "$GW_PID" -o "$RUN_DIR/strace.txt" &
STRACE_PID=$!
STARTED_PIDS+=("$STRACE_PID")
sleep 2  # strace attaches to every thread of the JVM one by one
read -r n2 rps2 _ <<<"$(run_wrk strace "$t" "$CONNS" "$DURATION" "$URL")"
kill -INT "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null || true
calls() { awk -v s="$1" '$NF == s { print $4 }' "$RUN_DIR/strace.txt"; }

log "at rest, ${IDLE} s"
writer_tids=$(for t in /proc/"$GW_PID"/task/*; do
    if grep -qE 'Log4j2-|caravan-request' "$t/comm" 2>/dev/null; then basename "$t"; fi; done | tr '\n' ' ')
idle0=$(for tid in $writer_tids; do sed 's/^.*) //' "/proc/$GW_PID/task/$tid/stat" | awk '{print $12 + $13}'; done | paste -sd+ | bc)
# shellcheck disable=SC2086 # one -p per thread id
timeout -s INT "$IDLE" strace -c -q $(printf -- '-p %s ' $writer_tids) -o "$RUN_DIR/strace-idle.txt" || true
idle1=$(for tid in $writer_tids; do sed 's/^.*) //' "/proc/$GW_PID/task/$tid/stat" | awk '{print $12 + $13}'; done | paste -sd+ | bc)
idle_calls=$(awk '$NF == "total" { print $4 }' "$RUN_DIR/strace-idle.txt")

{
    echo "Request log cost, $CONNS connection(s), ${GATEWAY_PROPS:-shipped settings}; $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "run 1 (no strace): $n1 requests, $rps1 req/s; CPU share by thread group:"
    head -6 "$RUN_DIR/threads.txt" | sed 's/^/    /'
    # ticks of the log writer thread(s) over all of the JVM's, and per request
    awk -F'\t' -v n="$n1" -v tck="$CLK_TCK" 'NR == FNR {b[$2] = $1; next} {d = $1 - b[$2]; t += d}
        $2 ~ /Log#j#-|caravan-request/ {w += d}
        END {printf "log writer thread: %.1f%% of the JVM'"'"'s CPU, %.1f us per request\n", w * 100 / t, w * 1e6 / tck / n}' \
        "$RUN_DIR/threads-before" "$RUN_DIR/threads-after"
    echo "run 2 (strace -c -f): $n2 requests, $rps2 req/s"
    for s in futex write writev; do
        c=$(calls "$s"); c=${c:-0}
        awk -v s="$s" -v c="$c" -v n="$n2" 'BEGIN { printf "    %-7s %9d calls, %.3f per request\n", s, c, c / n }'
    done
    echo "at rest ($IDLE s): log writer thread(s) $writer_tids: $((idle1 - idle0)) CPU ticks, ${idle_calls:-0} system calls"
    echo "lines logged by the gateway: $(grep -c '"request_id"' "$RUN_DIR/caravan.log")"
} | tee ${RESULTS_DIR:+"$RESULTS_DIR/log-cost.txt"}
