#!/usr/bin/env bash
# What the API's event-loop count (caravan.http.event-loops) does per chat completion, in figures that load on a
# shared machine does not distort: context switches per request (voluntary: a thread that waited; involuntary: one
# preempted), each summed over the gateway's threads from /proc, and how requests and CPU spread over the event-loop
# threads. CPU per request and req/s are printed too, but mean something only on a quiet machine.
#
#   bench/loops.sh                           # 1 and 2 loops, 64 connections, 20 s warm-up, 20 s measured
#   LOOPS="1 2 4" CONNS=16 bench/loops.sh
#
# Pass-through against the overhead bench's fake upstream (nginx answering a fixed chat.completion).
source "$(dirname "$0")/lib.sh"

LOOPS=${LOOPS:-1 2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-20s}
GATEWAY_PROPS=${GATEWAY_PROPS:-}  # extra -D options for Caravan

bound_run_time $(( (${DURATION%s} + ${WARMUP%s} + 120) * $(wc -w <<<"$LOOPS") + 60 )) "$0" "$@"
ensure_tools
ensure_jar
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_fake_upstream

# utime+stime of each event-loop thread: "tid ticks" lines
loop_ticks() { # pid
    local t
    for t in /proc/"$1"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == vert.x-eventloo* ]] || continue
        sed 's/^.*) //' "$t/stat" | awk -v id="${t##*/}" '{print id, $12 + $13}'
    done
}

# context switches of all of a process's threads: "voluntary nonvoluntary"
switches() { # pid
    awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2} END {print v, n}' \
        /proc/"$1"/task/*/status 2>/dev/null
}

t=$((CONNS == 1 ? 1 : 2))
printf '%-6s %9s %8s %10s %12s %14s  %s\n' loops requests req/s "CPU µs/req" "vol cs/req" "invol cs/req" \
    "each event loop's share of the CPU"
for loops in $LOOPS; do
    start_caravan_on_fake "caravan-$loops" -Dcaravan.http.event-loops="$loops"
    URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
    log "$loops loop(s): warm-up $WARMUP at $CONNS connection(s)"
    run_wrk "warmup-$loops" "$t" "$CONNS" "$WARMUP" "$URL" >/dev/null
    read -r v0 n0 < <(switches "$GW_PID")
    c0=$(cpu_ticks "$GW_PID")
    loop_ticks "$GW_PID" >"$RUN_DIR/loops0-$loops"
    log "$loops loop(s): measuring $DURATION"
    result=$(run_wrk "measured-$loops" "$t" "$CONNS" "$DURATION" "$URL")
    read -r v1 n1 < <(switches "$GW_PID")
    c1=$(cpu_ticks "$GW_PID")
    loop_ticks "$GW_PID" >"$RUN_DIR/loops1-$loops"
    read -r n rps _ <<<"$result"
    # each loop's share of the gateway's CPU, busiest first
    spread=$(awk -v all=$((c1 - c0)) 'NR == FNR {b[$1] = $2; next} {d = $2 - b[$1]; if (d > 0) print d}' \
        "$RUN_DIR/loops0-$loops" "$RUN_DIR/loops1-$loops" | sort -rn \
        | awk -v all=$((c1 - c0)) '{printf "%s%.0f%%", sep, $1 * 100 / all; sep = " "}')
    printf '%-6s %9s %8s %10s %12s %14s  %s\n' "$loops" "$n" "$rps" \
        "$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN{printf "%.0f", c / hz * 1e6 / n}')" \
        "$(awk -v d=$((v1 - v0)) -v n="$n" 'BEGIN{printf "%.3f", d / n}')" \
        "$(awk -v d=$((n1 - n0)) -v n="$n" 'BEGIN{printf "%.3f", d / n}')" "$spread"
    kill "$GW_PID"
    wait "$GW_PID" 2>/dev/null || true
done
