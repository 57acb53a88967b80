#!/usr/bin/env bash
# Whether a provider call runs on the event loop of the request it serves: load-independent counts per chat
# completion (pass-through, against the overhead bench's fake upstream) of the syscalls that a hand-off between
# event loops costs (write: also each selector wake-up, on its eventfd; writev; epoll_wait; futex), context switches, and
# with PROFILE=1 the JFR CPU shares of the wake-up and hand-off methods. CPU per request is printed too, but means
# something only on a quiet machine.
#
#   bench/affinity.sh                        # 64 connections, 20 s warm-up, 15 s under strace, 15 s under JFR
#   CARAVAN_JAR=/path/to/other/caravan.jar bench/affinity.sh   # another build, for before and after
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-64}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-20s}
PROFILE=${PROFILE:-1}
GATEWAY_PROPS=${GATEWAY_PROPS:-}  # extra -D options for Caravan

bound_run_time $(( 3 * ${DURATION%s} + ${WARMUP%s} + 240 )) "$0" "$@"
ensure_tools
ensure_jar
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
start_fake_upstream
start_caravan_on_fake caravan -XX:FlightRecorderOptions:stackdepth=300
URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
t=$((CONNS == 1 ? 1 : 2))

log "warm-up $WARMUP at $CONNS connections"
run_wrk warmup "$t" "$CONNS" "$WARMUP" "$URL" >/dev/null

log "syscalls over $DURATION under strace"
strace -f -c -e trace=write,writev,epoll_wait,futex -o "$RUN_DIR/strace.txt" -p "$GW_PID" 2>/dev/null &
STRACE_PID=$!
sleep 2   # strace attaches to every thread before the counted run
read -r n _ < <(run_wrk strace "$t" "$CONNS" "$DURATION" "$URL")
kill -INT "$STRACE_PID"
wait "$STRACE_PID" 2>/dev/null || true
printf 'requests under strace: %s\n%-12s %10s\n' "$n" syscall calls/req
awk -v n="$n" '$NF ~ /^(write|writev|epoll_wait|futex)$/ {c = ($4 ~ /^[0-9]+$/) ? $4 : $3; printf "%-12s %10.2f\n", $NF, c / n}' \
    "$RUN_DIR/strace.txt"

switches() { # pid: voluntary and involuntary context switches of all its threads
    awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2} END {print v, n}' \
        /proc/"$1"/task/*/status 2>/dev/null
}
log "context switches and CPU over $DURATION"
[[ $PROFILE == 1 ]] && jcmd "$GW_PID" JFR.start name=affinity settings=profile method-profiling=max filename="$RUN_DIR/affinity.jfr" >/dev/null
read -r v0 i0 < <(switches "$GW_PID")
c0=$(cpu_ticks "$GW_PID")
read -r n _ < <(run_wrk measured "$t" "$CONNS" "$DURATION" "$URL")
c1=$(cpu_ticks "$GW_PID")
read -r v1 i1 < <(switches "$GW_PID")
printf 'requests: %s  voluntary cs/req %.3f  involuntary cs/req %.3f  CPU µs/req %.0f (loaded machine: indicative)\n' \
    "$n" "$(awk -v d=$((v1 - v0)) -v n="$n" 'BEGIN{print d / n}')" \
    "$(awk -v d=$((i1 - i0)) -v n="$n" 'BEGIN{print d / n}')" \
    "$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN{print c / hz * 1e6 / n}')"
if [[ $PROFILE == 1 ]]; then
    jcmd "$GW_PID" JFR.stop name=affinity >/dev/null
    python3 "$BENCH_DIR/jfr-shares.py" "$JAVA_HOME/bin/jfr" "$RUN_DIR/affinity.jfr" 'NioEventLoop\.wakeup' \
        'SingleThreadEventExecutor\.execute' 'MpscChunkedArrayQueue' 'SelectorImpl\.wakeup|EPollSelectorImpl\.wakeup' \
        'ProviderHttp\$Flight\.start' | head -30
fi
kill "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
