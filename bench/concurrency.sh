#!/usr/bin/env bash
# Scenario 2, concurrency: 2,000 concurrent chat requests against providers that take 1 s to answer.
# Little's law says a gateway that really holds 2,000 calls in flight serves ~2,000 req/s at ~1 s latency;
# anything that caps the number in flight (a thread pool, a connection pool) shows as lower req/s and
# higher latency, anything that breaks under load as errors.
#
#   bench/concurrency.sh                 # defaults: 2000 connections, 20 s measured, 15 s warm-up
#   CONNS=2000 DURATION=20s LATENCY_MS=1000 bench/concurrency.sh
#   CONNS=10000 LATENCY_MS=3000 bench/concurrency.sh   # issue 15 step 4
#   UPSTREAM_HTTP2=0 bench/concurrency.sh                # the gateway's provider calls over HTTP/1.1 instead of h2c
#
# The simulated providers (openai, groq, together, OpenAI wire format) run in a SEPARATE Caravan process
# started only as a simulator host, so the gateway's thread count and RSS are its own. The gateway under
# test has the simulator off and its three providers pointed at that host, each with a 1 s latency fault.
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-2000}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-60s}               # JIT warm-up at 64 connections with the latency fault off (at 30 s the
                                    # compiler threads were still busy in the measured phase: C2 13 % of the CPU)
SETTLE=${SETTLE:-10s}               # then this long at $CONNS connections with the latency on, not measured
LATENCY_MS=${LATENCY_MS:-1000}
PROVIDERS=${PROVIDERS:-"openai groq together"}   # which simulated providers serve alias 'fast' (1 to 3)
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
THREADS=${THREADS:-$(nproc)}                     # wrk threads: no more than the cores
RESULTS_DIR=${RESULTS_DIR:-}
# Extra -Dkey=value for the gateway under test, e.g. GATEWAY_PROPS="-Dcaravan.defaults.max-connections=3000"
GATEWAY_PROPS=${GATEWAY_PROPS:-}
# The gateway's calls to the simulated providers over HTTP/2 (h2c, up to 100 calls per connection), as it calls real
# providers on https by default; 0: HTTP/1.1, one connection per call in flight
UPSTREAM_HTTP2=${UPSTREAM_HTTP2:-1}
# 1: the gateway logs its collections (-Xlog:gc*,safepoint, gc.log in the run directory, copied to RESULTS_DIR) and the
# table ends with what G1 did in the measured phase per 1,000 requests (bench/gc-counts.py): pauses by kind, full
# collections, evacuation failures, bytes allocated and promoted per request, the heap after each pause. Counts and
# bytes per request hold on a loaded machine, where req/s and latency do not.
GC_LOG=${GC_LOG:-0}
# 1: a JFR recording of the gateway over the measured phase only (JFR_SETTINGS, default profile; JFR_OPTIONS, e.g.
# method-profiling=max), kept as measured.jfr in RESULTS_DIR (or the run directory), and its sample shares printed by
# bench/floor/jfr_top.py. The table always ends with the gateway's CPU in the measured phase by thread group (GC
# threads, event loops, compilers, ...) as shares of its total: where the CPU per request goes, a load-independent split.
JFR=${JFR:-0}
JFR_SETTINGS=${JFR_SETTINGS:-profile}
JFR_OPTIONS=${JFR_OPTIONS:-}

budget=$(( 2 * ${DURATION%s} + ${WARMUP%s} + ${SETTLE%s} + 2 * ${QUIET_WAIT:-0} + 260 ))
bound_run_time "$budget" "$0" "$@"

ensure_tools
ensure_jar
if [[ $GC_LOG == 1 ]]; then GATEWAY_PROPS="-Xlog:gc*,safepoint:file=$RUN_DIR/gc.log:utctime,uptime $GATEWAY_PROPS"; fi
# wrk needs one descriptor per connection, the simulator one, the gateway one per client connection, one per
# provider connection and ~100 of its own (measured: 6,023 open with 3,000 calls in flight over HTTP/1.1). Each
# process has its own limit, so it is the gateway's that counts: over HTTP/1.1 10,000 connections need a hard limit
# above 20,100 (with 20,000, as here, 9,900 is the most); over h2c its provider connections are ~1 per 100 calls.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ $UPSTREAM_HTTP2 == 1 ]]; then
    GATEWAY_PROPS="$(for p in $PROVIDERS; do printf -- '-Dcaravan.provider.%s.http2=true ' "$p"; done)$GATEWAY_PROPS"
    need=$(( CONNS + CONNS / 100 + 3 + 100 ))
else
    need=$(( CONNS * 2 + 100 ))
fi
# wrk holds all $CONNS in one process (its limit is its own): 10,000 fit under 20,000; past it, it would need two
(( $(ulimit -n) >= CONNS + 100 )) || die "ulimit -n is $(ulimit -n): too low for wrk's $CONNS connections"
(( $(ulimit -n) >= need )) || die "ulimit -n is $(ulimit -n): too low for $CONNS connections (the gateway needs"\
" $need descriptors; raise the hard limit, e.g. LimitNOFILE= or docker --ulimit, or set UPSTREAM_HTTP2=1)"

start_simulator_host
start_gateway_on_simulator
enabled=$(tr ' ' ',' <<<"$PROVIDERS")

set_latency() { # ms
    local p
    for p in $PROVIDERS; do
        curl -sf -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$SIM_PORT/$p/_faults" -d "{\"latency_ms\":$1}" \
            || die "could not set the latency fault of $p"
    done
}
check_one() {
    local start code ms
    start=$(date +%s%N)
    code=$(curl -s -o "$RUN_DIR/check.json" -w '%{http_code}' --max-time 15 -H 'Content-Type: application/json' \
        -d '{"model":"fast","messages":[{"role":"user","content":"hi"}]}' "http://127.0.0.1:$GW_PORT/v1/chat/completions")
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [[ $code == 200 ]] || die "the gateway answered $code: $(head -c 300 "$RUN_DIR/check.json")"
    log "one request through the gateway: $code in $ms ms"
}
check_one

# Samples the gateway once a second while wrk runs: threads, RSS, connections in and out.
sample() { # out-file
    local out=$1
    echo "t threads rss_mb client_conns upstream_conns open_files" >"$out"
    local t=0
    while kill -0 "$GW_PID" 2>/dev/null; do
        local threads rss cin cup fds
        threads=$(awk '/^Threads:/{print $2}' "/proc/$GW_PID/status")
        rss=$(awk '/^VmRSS:/{printf "%d", $2/1024}' "/proc/$GW_PID/status")
        cin=$(ss -Htn state established "( sport = :$GW_PORT )" | wc -l)
        cup=$(ss -Htn state established "( dport = :$SIM_PORT )" | wc -l)
        fds=$(find "/proc/$GW_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
        echo "$t $threads $rss $cin $cup $fds" >>"$out"
        sleep 1
        t=$((t + 1))
    done
}

# CPU ticks of each of the gateway's threads, by group: the thread's name without its number
thread_ticks() {
    local t
    for t in /proc/"$GW_PID"/task/*; do
        # comm may hold spaces: the fields after its closing ')' are the stat's own, utime and stime 12th and 13th
        printf '%s\t%s\n' "$(tr -d '0-9#' <"$t/comm" 2>/dev/null | sed 's/[-_ ]*$//')" \
            "$(sed 's/^.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}')"
    done 2>/dev/null | awk -F'\t' '$2 != "" {sum[$1] += $2} END {for (g in sum) print g "\t" sum[g]}'
}

run_phase() { # label duration [url [extra wrk args]] -> sets PHASE_RESULT, PHASE_STATS, PHASE_CPU_US, PHASE_SIM_CPU_US
    local label=$1 duration=$2 url=${3:-http://127.0.0.1:$GW_PORT/v1/chat/completions}
    shift $(($# < 3 ? $# : 3))
    sample "$RUN_DIR/samples-$label.txt" &
    local sampler=$!
    STARTED_PIDS+=("$sampler")
    local before after sbefore safter n secs wrkcpu busy
    before=$(cpu_ticks "$GW_PID")
    sbefore=$(cpu_ticks "$SIM_PID")
    PHASE_START=$(date +%s.%N)
    PHASE_RESULT=$(run_wrk "$label" "$THREADS" "$CONNS" "$duration" "$url" --timeout "$WRK_TIMEOUT" "$@")
    PHASE_END=$(date +%s.%N)
    after=$(cpu_ticks "$GW_PID")
    safter=$(cpu_ticks "$SIM_PID")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    # max threads, max RSS, max client and upstream connections, max open files over the run
    PHASE_STATS=$(awk 'NR>1{if($2>t)t=$2; if($3>r)r=$3; if($4>c)c=$4; if($5>u)u=$5; if($6>f)f=$6}
        END{print t+0, r+0, c+0, u+0, f+0}' \
        "$RUN_DIR/samples-$label.txt")
    read -r n _ _ _ _ _ _ secs wrkcpu busy <<<"$PHASE_RESULT"
    PHASE_OTHERS=$(others_pct "$busy" "$(awk -v t=$((after - before + safter - sbefore)) -v hz="$CLK_TCK" -v w="$wrkcpu" \
        'BEGIN{print t/hz + w}')" "$secs")
    PHASE_CPU_US=$(awk -v t=$((after - before)) -v n="$n" -v hz="$CLK_TCK" 'BEGIN{printf "%.0f", n ? t/hz*1e6/n : 0}')
    PHASE_SIM_CPU_US=$(awk -v t=$((safter - sbefore)) -v n="$n" -v hz="$CLK_TCK" 'BEGIN{printf "%.0f", n ? t/hz*1e6/n : 0}')
    if [[ -n "${RESULTS_DIR:-}" ]]; then cp "$RUN_DIR/samples-$label.txt" "$RESULTS_DIR/"; fi
}

# The JIT needs tens of thousands of requests before the gateway runs at full speed; at 1 s per request that
# would take minutes, so warm up against an instant upstream first.
log "JIT warm-up: $WARMUP at 64 connections, upstream latency 0"
set_latency 0
run_wrk warmup-jit "$THREADS" 64 "$WARMUP" "http://127.0.0.1:$GW_PORT/v1/chat/completions" >/dev/null
set_latency "$LATENCY_MS"
check_one
if [[ $JFR == 1 ]]; then
    # started before the settling, and only the measured phase dumped: starting a recording invalidates compiled
    # code the JIT then makes again ("Jvmti state change invalidated dependencies"), work that would fall in the
    # measured phase (bench/README.md, "What a call in flight holds")
    # shellcheck disable=SC2086 # JFR_OPTIONS is a list of options
    "$JAVA_HOME/bin/jcmd" "$GW_PID" JFR.start name=measured settings="$JFR_SETTINGS" $JFR_OPTIONS >/dev/null \
        || die "jcmd JFR.start failed"
fi
log "settling: $SETTLE at $CONNS connections, upstream latency $LATENCY_MS ms (opens the connections; not measured)"
run_phase settle "$SETTLE"
W_RESULT=$PHASE_RESULT W_STATS=$PHASE_STATS W_CPU=$PHASE_CPU_US W_SIMCPU=$PHASE_SIM_CPU_US W_OTHERS=$PHASE_OTHERS
log "  settle: $W_RESULT | $W_STATS"
sleep 2
wait_for_quiet
log "measuring: $DURATION at $CONNS connections, wrk -t$THREADS --timeout $WRK_TIMEOUT"
thread_ticks >"$RUN_DIR/threads-before.txt"
jfr_from=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
run_phase measured "$DURATION"
if [[ $JFR == 1 ]]; then
    JFR_FILE="${RESULTS_DIR:-$RUN_DIR}/measured.jfr"
    "$JAVA_HOME/bin/jcmd" "$GW_PID" JFR.dump name=measured begin="$jfr_from" filename="$JFR_FILE" >/dev/null \
        || die "jcmd JFR.dump failed"
    "$JAVA_HOME/bin/jcmd" "$GW_PID" JFR.stop name=measured >/dev/null || true
fi
thread_ticks >"$RUN_DIR/threads-after.txt"
log "  measured: $PHASE_RESULT | $PHASE_STATS"
M_RESULT=$PHASE_RESULT M_STATS=$PHASE_STATS M_CPU=$PHASE_CPU_US M_SIMCPU=$PHASE_SIM_CPU_US M_OTHERS=$PHASE_OTHERS
M_START=$PHASE_START M_END=$PHASE_END
# chat calls per simulated provider so far: the gateway's, before the direct phase adds its own
curl -s --max-time 5 "http://127.0.0.1:$SIM_PORT/_providers" >"$RUN_DIR/providers.json" || true
served=$(jq -r 'map("\(.provider)=\(.chat_calls) (\(.http2_chat_calls // 0) over HTTP/2)") | join(", ")' \
    "$RUN_DIR/providers.json" 2>/dev/null || echo "?")

# The same load sent straight to one simulated provider: what wrk and the simulator reach on this machine without
# the gateway, the ceiling the measured phase is held against.
first=${PROVIDERS%% *}
sleep 2
wait_for_quiet
log "direct: $DURATION at $CONNS connections straight to simulated provider $first"
run_phase direct "$DURATION" "http://127.0.0.1:$SIM_PORT/$first/v1/chat/completions" -H "Authorization: Bearer bench-key-$first"
log "  direct: $PHASE_RESULT"

gw_errors=$(grep -c ' ERROR ' "$RUN_DIR/caravan.log" || true)
failed=$(grep -c 'outcome=failed' "$RUN_DIR/caravan.log" || true)

{
    echo
    echo "Concurrency on 127.0.0.1, $(nproc) cores: $CONNS connections, upstream latency ${LATENCY_MS} ms, providers: $enabled;" \
        "wrk -t$THREADS --timeout $WRK_TIMEOUT; provider calls over $( ((UPSTREAM_HTTP2 == 1)) && echo h2c || echo HTTP/1.1);" \
        "open-file limit $(ulimit -n); $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "gateway JVM options: ${CARAVAN_JVM_OPTS:-JVM defaults}"
    [[ -n $GATEWAY_PROPS ]] && echo "gateway overrides: $GATEWAY_PROPS"
    printf '%-9s %6s %9s %9s %9s %7s %7s %7s %8s %7s %8s %9s %6s %10s %10s %8s\n' \
        phase secs req/s p50_ms p99_ms non2xx sockerr timeout threads rss_mb conns_in conns_up files gw_cpu_us sim_cpu_us \
        others%
    for phase in settle measured direct; do
        case $phase in
            settle) r=$W_RESULT s=$W_STATS c=$W_CPU sc=$W_SIMCPU o=$W_OTHERS ;;
            measured) r=$M_RESULT s=$M_STATS c=$M_CPU sc=$M_SIMCPU o=$M_OTHERS ;;
            direct) r=$PHASE_RESULT s="- - - - -" c=- sc=$PHASE_SIM_CPU_US o=$PHASE_OTHERS ;;
        esac
        read -r n rps p50 p99 non2xx sock tmo secs _ <<<"$r"
        read -r th rss cin cup fds <<<"$s"
        printf '%-9s %6s %9s %9s %9s %7s %7s %7s %8s %7s %8s %9s %6s %10s %10s %8s\n' \
            "$phase" "$secs" "$rps" "$p50" "$p99" "$non2xx" "$sock" "$tmo" "$th" "$rss" "$cin" "$cup" "$fds" "$c" "$sc" "$o"
    done
    echo "direct: the same load straight to simulated provider $first, without the gateway (wrk and the simulator's ceiling)."
    read -r _ m_rps m_p50 _ <<<"$M_RESULT"
    read -r _ d_rps _ <<<"$PHASE_RESULT"
    awk -v m="$m_rps" -v d="$d_rps" -v p="$m_p50" -v l="$LATENCY_MS" 'BEGIN{ if (d > 0 && l > 0)
        printf "measured: %.1f %% of direct; p50 %+.1f %% over the upstream latency\n", m / d * 100, (p - l) / l * 100 }'
    echo "threads, rss_mb, conns_in (client connections established), conns_up (gateway->simulator connections), files"
    echo "(the gateway's open file descriptors, against its limit above):"
    echo "maxima of 1 s samples of the gateway process; gw_cpu_us, sim_cpu_us: CPU time (utime+stime) of the gateway and"
    echo "of the simulator process per completed request. Chat calls per simulated provider: $served."
    echo "others%: share of the machine's CPU used during the phase by processes other than this benchmark's (0 when quiet)."
    echo "Gateway log: $failed request(s) logged as failed, $gw_errors ERROR line(s)."
    # threads that ended in the window are missing from the second list: their ticks are not counted
    awk -F'\t' 'FNR == 1 { file++ } file == 1 { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 0) { t[$1] = d; all += d } }
        END { if (!all) exit; printf "gateway CPU in the measured phase by thread group (share of its %d ticks):", all
              n = 0; for (g in t) order[++n] = g
              for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (t[order[j]] > t[order[i]]) { x = order[i]; order[i] = order[j]; order[j] = x }
              for (i = 1; i <= n && i <= 10; i++) printf "%s %s %.1f %%", (i > 1 ? ";" : ""), order[i], t[order[i]] * 100 / all
              print "" }' "$RUN_DIR/threads-before.txt" "$RUN_DIR/threads-after.txt"
    if [[ $JFR == 1 ]]; then
        echo "JFR recording of the measured phase: $JFR_FILE"
        python3 "$BENCH_DIR/floor/jfr_top.py" "$JAVA_HOME/bin/jfr" "$JFR_FILE" 30 2>/dev/null | head -40 || true
    fi
    if [[ $GC_LOG == 1 ]]; then
        python3 "$BENCH_DIR/gc-counts.py" "$RUN_DIR/gc.log" "$M_START" "$M_END" "${M_RESULT%% *}" || true
        if [[ -n "${RESULTS_DIR:-}" ]]; then cp "$RUN_DIR/gc.log" "$RESULTS_DIR/"; fi
    fi
    if ((gw_errors > 0)); then
        # what the ERROR lines are: logger and message, then the exception named on the next line
        grep -A1 ' ERROR ' "$RUN_DIR/caravan.log" | grep -v '^--$' | sed -E 's/^[0-9T:,-]+ ERROR \[[^]]*\] //' \
            | grep -oE '^[A-Za-z]+ - [^(]{0,80}|^[a-z][A-Za-z0-9_.]+(Exception|Error)[^ ]*' | sort | uniq -c | sort -rn | head -6
    fi
} | tee ${RESULTS_DIR:+"$RESULTS_DIR/concurrency.txt"}
