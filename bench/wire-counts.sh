#!/usr/bin/env bash
# System calls per request of the gateway (and of the pipe floor, bench/floor's "pipe" stack: the same Vert.x server
# and client with nothing else), counted with `strace -c -f` on every thread of the JVM during one wrk run against
# overhead.sh's fake upstream (nginx answering a fixed chat.completion). A count per request means something on a
# busy machine, unlike a time: strace slows the traced JVM, so only the counts are printed, never times.
#
#   bench/wire-counts.sh                  # Caravan, 64 connections, 15 s warm-up, 10 s counted
#   FLOOR=1 bench/wire-counts.sh          # and the pipe floor, the same way (bench/floor must build)
#   CONNS=16 DURATION=5s bench/wire-counts.sh
#
# Prints, for each process: requests answered while traced, system calls per request by name, and the writes
# (write, writev, sendmsg) and reads per request. Writes per request tell how many flushes reach the socket.
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-15s}
CONNS=${CONNS:-64}
FLOOR=${FLOOR:-0}
GATEWAY_PROPS=${GATEWAY_PROPS:-}

bound_run_time $(( (${DURATION%s} + ${WARMUP%s} + 120) * 2 + 300 )) "$0" "$@"
ensure_tools
ensure_jar
command -v strace >/dev/null || die "strace is needed (apt-get install strace)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
start_fake_upstream

count() { # label pid url
    local label=$1 pid=$2 url=$3 out="$RUN_DIR/strace-$1.txt" tracer requests
    log "$label: warm-up $WARMUP at $CONNS connections"
    run_wrk "warmup-$label" 2 "$CONNS" "$WARMUP" "$url" >/dev/null
    strace -c -f -o "$out" -p "$pid" 2>/dev/null &
    tracer=$!
    STARTED_PIDS+=("$tracer")
    sleep 2 # attached to every thread before the counted run
    log "$label: counted run $DURATION at $CONNS connections"
    requests=$(run_wrk "$label" 2 "$CONNS" "$DURATION" "$url" | cut -d' ' -f1)
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null || true
    [[ -n ${RESULTS_DIR:-} ]] && cp "$out" "$RESULTS_DIR/"
    # the few calls of the idle seconds around the run (timers, GC) are counted too: a long run makes them negligible
    awk -v r="$requests" -v l="$label" '
        $1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { n[$NF] = $4; t += $4 }
        END {
            printf "%s: %d requests, %.2f system calls per request; writes %.2f (write+writev+sendmsg), reads %.2f (read+readv+recvfrom)\n",
                l, r, t / r, (n["write"] + n["writev"] + n["sendmsg"]) / r, (n["read"] + n["readv"] + n["recvfrom"]) / r
            for (s in n) if (n[s] / r >= 0.01) printf "  %7.3f %s\n", n[s] / r, s | "sort -rn"
        }' "$out"
}

start_caravan_on_fake caravan
count caravan "$GW_PID" "http://127.0.0.1:$GW_PORT/v1/chat/completions"
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true

if [[ $FLOOR == 1 ]]; then
    FLOOR_DIR=${FLOOR_DIR:-$BENCH_DIR/floor}
    if [[ ! -f $FLOOR_DIR/target/classpath.txt ]]; then
        (cd "$FLOOR_DIR" && JAVA_HOME=$JAVA_HOME mvn -B -q package) >&2 || die "the floors did not build"
    fi
    port=$(free_port)
    # shellcheck disable=SC2086 # CARAVAN_JVM_OPTS is a list of options: the floor runs with the gateway's
    "$JAVA" ${CARAVAN_JVM_OPTS:-} -Djdk.pollerMode=1 -Dfloor.stack=pipe -Dfloor.port="$port" \
        -Dfloor.json-upstream="http://127.0.0.1:$UP_PORT" -Dfloor.sse-upstream=http://127.0.0.1:1/openai \
        -Dfloor.slow-upstream=http://127.0.0.1:1 \
        -cp "$FLOOR_DIR/target/classes:$(cat "$FLOOR_DIR/target/classpath.txt")" dev.caravan.floor.FloorMain \
        >"$RUN_DIR/floor.log" 2>&1 &
    FLOOR_PID=$!
    STARTED_PIDS+=("$FLOOR_PID")
    for _ in $(seq 1 300); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Content-Type: application/json' \
            -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' \
            "http://127.0.0.1:$port/v1/chat/completions" || true) == 200 ]] && break
        kill -0 "$FLOOR_PID" 2>/dev/null || die "the floor exited: $(tail -5 "$RUN_DIR/floor.log")"
        sleep 0.2
    done
    count floor "$FLOOR_PID" "http://127.0.0.1:$port/v1/chat/completions"
fi
